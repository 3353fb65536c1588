import type { Command } from "commander";
import { assertNotBudgetPaused } from "../../budget/ledger.js";
import { resolveLimits } from "../../budget/settings.js";
import { OpsError } from "../../core/errors.js";
import { requireBot } from "../../fleet/registry.js";
import { type ChatTurnResult, chatTurn } from "../../gateway/chat.js";
import { GatewayClient } from "../../gateway/client.js";
import { act } from "../act.js";
import { botGatewayAccess } from "../bot-gateway.js";
import { parseDuration } from "../arguments.js";
import { type CommandOptions, loadCliConfig, withRegistry } from "../context.js";
import { EXIT, emit } from "../output.js";

interface ChatOptions extends CommandOptions {
  session: string;
  timeout: number;
}

/** `clawops chat BOT MESSAGE`: one chat turn through the bot's gateway, the reply streamed. */
export function registerChat(program: Command) {
  program
    .command("chat")
    .argument("<bot>", "bot name")
    .argument("<message>", "what to say")
    .description("send one message to a bot's agent through its gateway and print the reply")
    .option("--session <key>", "the session to talk in", "agent:main:clawops-chat")
    .option("--timeout <duration>", "budget for the whole turn", parseDuration, 120_000)
    .option("--json", "print JSON")
    .action(
      act(async (options: ChatOptions, name: string, message: string) => {
        const loaded = loadCliConfig(options);
        const bot = await withRegistry(
          options,
          async ({ store, config }) => {
            const found = await requireBot(store, name);
            // A bot its budget paused takes no new chat through clawops (its gateway stays up).
            await assertNotBudgetPaused(store, resolveLimits(config.budgets), found, Date.now());
            return found;
          },
          loaded,
        );
        const { url, token } = botGatewayAccess(bot, loaded);
        const client = await GatewayClient.connect({
          url,
          token,
          reconnect: false,
          connectTimeoutMs: 10_000,
          // A gateway still booting answers "retry shortly": wait for it within the turn's budget.
          bootWaitMs: options.timeout,
        }).catch((error: unknown) => {
          if (error instanceof OpsError && error.code === "UNAVAILABLE") throw error;
          throw new OpsError(
            "UNAVAILABLE",
            `cannot reach ${bot.name}'s gateway on port ${bot.port}: ${(error as Error).message} (is it running? clawops status)`,
          );
        });
        const streaming = !options.json && process.stdout.isTTY;
        try {
          const result = await chatTurn(client, {
            sessionKey: options.session,
            message,
            timeoutMs: options.timeout,
            ...(streaming ? { onDelta: (text: string) => process.stdout.write(text) } : {}),
          });
          if (streaming) process.stdout.write("\n");
          emit(options, { bot: bot.name, ...result }, (r) => render(r, streaming));
          return result.outcome === "final" ? EXIT.ok : EXIT.failure;
        } finally {
          client.close();
        }
      }),
    );
}

function render(result: ChatTurnResult, streamed: boolean): string {
  if (result.outcome === "error") return `the turn failed: ${result.error}`;
  if (result.outcome === "aborted") return "the turn was aborted";
  const timing = `(${(result.durationMs / 1000).toFixed(1)} s, session ${result.sessionKey})`;
  return streamed ? timing : `${result.reply}\n${timing}`;
}
