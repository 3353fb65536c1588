import type { Bot, Context } from "grammy";
import type { Logger } from "pino";
import { errorMessage, isOpsError } from "../../core/errors.js";
import type { OpsControl } from "../../core/notification.js";
import {
  escapeHtml,
  renderConfig,
  renderError,
  renderHistory,
  renderLogs,
  renderPause,
  renderRepair,
  renderResume,
  renderStats,
  renderStatus,
} from "./format.js";

/** What the chat menu shows (setMyCommands) and `/help` lists. */
export const COMMANDS = [
  { command: "status", description: "Bots and their state: /status [bot]" },
  { command: "repair", description: "Run the repair pipeline now: /repair <bot>" },
  { command: "logs", description: "The gateway's last log lines: /logs [bot]" },
  { command: "history", description: "Recent repairs: /history [bot]" },
  { command: "stats", description: "Repair statistics: /stats [bot]" },
  { command: "pause", description: "Pause automatic repairs: /pause [bot] [reason]" },
  { command: "resume", description: "Resume automatic repairs: /resume [bot]" },
  { command: "approve", description: "Let a waiting exec run once: /approve <bot> <id>" },
  { command: "deny", description: "Refuse a waiting exec: /deny <bot> <id>" },
  { command: "config", description: "clawops's repair and notification settings" },
  { command: "help", description: "This list" },
] as const;

const LOG_LINES = 40;
const HISTORY_LIMIT = 10;
const DEFAULT_PAUSE_REASON = "paused from Telegram";

export interface CommandDeps {
  control: OpsControl;
  /** The only chats whose commands and buttons are obeyed. */
  chatIds: ReadonlySet<number>;
  log: Logger;
  now: () => number;
  /** Runs work that outlives the update (a repair) so the update loop goes on; must not reject. */
  background(task: () => Promise<void>): void;
  /** Strips the bot token from error messages before they are logged. */
  redact(text: string): string;
}

/** Sends one reply; how differs between commands and buttons, and never throws. */
type Reply = (html: string) => Promise<void>;

interface Invocation {
  chatId: number;
  /** Who acts, for the repair record and the pause: `telegram:<chat id>`. */
  actor: string;
  args: string[];
  reply: Reply;
}

/**
 * Wires the chat commands and the notification buttons to `OpsControl`.
 * Only configured chats are answered; anything else is logged and ignored,
 * without a reply that would tell a stranger the bot is alive.
 */
export function installCommands(bot: Bot, deps: CommandDeps): void {
  const handlers = commandHandlers(deps);

  bot.use(async (ctx, next) => {
    // A button's chat is the chat of the message it sits on, not where the tapper came from.
    const chatId = ctx.callbackQuery ? ctx.callbackQuery.message?.chat.id : ctx.message?.chat.id;
    if (chatId === undefined) return;
    if (!deps.chatIds.has(chatId)) {
      deps.log.warn(
        { chatId, update: ctx.callbackQuery ? "callback_query" : "message" },
        "telegram.unauthorized_chat",
      );
      return;
    }
    await next();
  });

  const reply =
    (chatId: number): Reply =>
    async (html) => {
      try {
        await bot.api.sendMessage(chatId, html, {
          parse_mode: "HTML",
          link_preview_options: { is_disabled: true },
        });
      } catch (error) {
        deps.log.warn({ chatId, err: deps.redact(errorMessage(error)) }, "telegram.reply_failed");
      }
    };

  const invoke = async (name: keyof typeof handlers, chatId: number, args: string[]) => {
    const invocation: Invocation = {
      chatId,
      actor: `telegram:${chatId}`,
      args,
      reply: reply(chatId),
    };
    deps.log.info({ chatId, command: name, args }, "telegram.command");
    try {
      await handlers[name](invocation);
    } catch (error) {
      await invocation.reply(failureText(name, error, deps));
    }
  };

  for (const name of Object.keys(handlers) as (keyof typeof handlers)[]) {
    bot.command(name, async (ctx: Context) => {
      const chatId = ctx.message?.chat.id;
      if (chatId === undefined) return;
      await invoke(name, chatId, words(typeof ctx.match === "string" ? ctx.match : ""));
    });
  }

  bot.on("callback_query:data", async (ctx) => {
    const chatId = ctx.callbackQuery.message?.chat.id;
    // Answered first: Telegram shows a spinner on the button until then.
    await ctx.answerCallbackQuery().catch((error: unknown) => {
      deps.log.debug({ err: deps.redact(errorMessage(error)) }, "telegram.answer_callback_failed");
    });
    if (chatId === undefined) return;
    const [verb, bot] = splitOnce(ctx.callbackQuery.data, ":");
    if (verb === "approve" || verb === "deny") {
      // `approve:<bot>:<approval id prefix>`: a bot name has no colon.
      await invoke(verb, chatId, bot ? bot.split(":") : []);
      return;
    }
    if (verb !== "repair" && verb !== "logs" && verb !== "pause" && verb !== "stats") {
      deps.log.debug({ chatId, data: ctx.callbackQuery.data }, "telegram.unknown_button");
      return;
    }
    await invoke(verb, chatId, bot ? [bot] : []);
  });
}

function commandHandlers(deps: CommandDeps) {
  const { control } = deps;

  /** `/logs` without a bot means the only bot; with several, the reply lists them. */
  async function onlyBot(command: string): Promise<string | { usage: string }> {
    const bots = await control.status();
    if (bots.length === 1) return bots[0]!.name;
    const names = bots.map((b) => b.name).join(", ");
    return {
      usage: `Usage: /${command} &lt;bot&gt;${names ? `. Bots: ${escapeHtml(names)}` : ""}`,
    };
  }

  async function decide({ args, actor, reply }: Invocation, decision: "allow-once" | "deny") {
    const [bot, id] = args;
    const verb = decision === "deny" ? "deny" : "approve";
    if (!bot || !id) return reply(`Usage: /${verb} &lt;bot&gt; &lt;id&gt;`);
    const approval = await control.decideApproval(bot, id, decision, actor);
    await reply(
      `${decision === "deny" ? "❌ Denied" : "✅ Allowed once"} on <b>${escapeHtml(approval.bot)}</b>: <code>${escapeHtml(approval.command)}</code>`,
    );
  }

  return {
    async status({ args, reply }: Invocation) {
      const bots = await control.status(args[0]);
      if (args[0] && bots.length === 0) return reply(renderError(`no bot named ${args[0]}`));
      await reply(renderStatus(bots, deps.now()));
    },

    async repair({ args, actor, reply }: Invocation) {
      const bot = args[0];
      if (!bot) return reply("Usage: /repair &lt;bot&gt;");
      // A bot this chat may not act on is refused at once, not after "Repairing".
      await control.status(bot);
      await reply(`🔧 Repairing <b>${escapeHtml(bot)}</b>…`);
      // A repair takes seconds to minutes; the update loop must keep answering meanwhile.
      deps.background(async () => {
        try {
          await reply(renderRepair(await control.repair(bot, actor)));
        } catch (error) {
          await reply(failureText("repair", error, deps));
        }
      });
    },

    async logs({ args, reply }: Invocation) {
      const bot = args[0] ?? (await onlyBot("logs"));
      if (typeof bot !== "string") return reply(bot.usage);
      await reply(renderLogs(bot, await control.logs(bot, LOG_LINES)));
    },

    async history({ args, reply }: Invocation) {
      await reply(renderHistory(await control.history(args[0], HISTORY_LIMIT), args[0]));
    },

    async stats({ args, reply }: Invocation) {
      await reply(renderStats(await control.stats(args[0]), args[0]));
    },

    async pause({ args, actor, reply }: Invocation) {
      const bot = args[0] ?? null;
      const reason = args.slice(1).join(" ") || DEFAULT_PAUSE_REASON;
      await reply(renderPause(await control.pause(bot, actor, reason), bot));
    },

    async resume({ args, actor, reply }: Invocation) {
      const bot = args[0] ?? null;
      await reply(renderResume(await control.resume(bot, actor), bot));
    },

    approve: (invocation: Invocation) => decide(invocation, "allow-once"),
    deny: (invocation: Invocation) => decide(invocation, "deny"),

    async config({ reply }: Invocation) {
      await reply(renderConfig(await control.config()));
    },

    async help({ reply }: Invocation) {
      await reply(renderHelp());
    },

    async start({ reply }: Invocation) {
      await reply(renderHelp());
    },
  };
}

export function renderHelp(): string {
  return [
    "🦞 <b>clawops</b>: commands",
    ...COMMANDS.map((c) => `/${c.command}: ${escapeHtml(c.description)}`),
  ].join("\n");
}

/** OpsError messages are written for operators; anything else stays in the log. */
function failureText(command: string, error: unknown, deps: CommandDeps): string {
  if (isOpsError(error)) return renderError(error.message);
  deps.log.error({ command, err: deps.redact(errorMessage(error)) }, "telegram.command_failed");
  return renderError(`/${command} failed; the clawops log has the details`);
}

function words(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
