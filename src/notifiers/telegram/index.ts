import { z } from "zod";
import { duration } from "../../core/duration.js";
import { type Issue, OpsError } from "../../core/errors.js";
import { type Notifier, type NotifierPlugin, notifierSchema } from "../notifier.js";

const schema = notifierSchema("telegram", {
  /** Prefer `tokenEnv`: a token in the file ends up in backups and diffs. */
  token: z.string().min(1).optional(),
  tokenEnv: z.string().min(1).default("CLAWOPS_TELEGRAM_TOKEN"),
  /** Where notifications go, and the only chats whose commands are obeyed. */
  chatIds: z.array(z.number().int()).min(1),
  /** The Bot API's root; a local Bot API server or a test double. */
  apiRoot: z
    .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" })
    // grammy refuses a trailing slash.
    .transform((url) => url.replace(/\/+$/, ""))
    .optional(),
  /** Take chat commands and buttons (long polling). */
  commands: z.boolean().default(true),
  /** How long one getUpdates waits for news. */
  pollTimeout: duration("30s"),
});

export type TelegramConfig = z.output<typeof schema>;

/**
 * Notifications to Telegram chats through the Bot API, and chat commands
 * (status, repair, logs, pause, ...) from those same chats. Talks to Telegram
 * only, never through a gateway, so it keeps working when every gateway is down.
 *
 * The Bot API client (grammy, ~4 MB of heap) is loaded when a notifier has a
 * token, not by every daemon: the notifier answers as soon as it is built and
 * each call waits for the client.
 */
export const telegram: NotifierPlugin<typeof schema> = {
  type: "telegram",
  schema,
  create(config, deps): Notifier {
    const token = config.token ?? (deps.env[config.tokenEnv] || undefined);
    if (token === undefined) return withoutToken(config, deps.name);
    let built: Notifier | null = null;
    const client = import("./bot-notifier.js").then(
      (loaded) => (built = loaded.createBotNotifier(config, deps, token)),
    );
    // A failed load fails each send and start below; unobserved, it must not crash the daemon.
    client.catch(() => undefined);
    return {
      name: deps.name,
      issues: () => built?.issues?.() ?? [],
      send: async (notification, signal) => (await client).send(notification, signal),
      start: async (signal) => (await client).start?.(signal),
      close: async () => (await client.catch(() => null))?.close?.(),
    };
  },
};

/** A notifier with no token: it says so through `issues()`, and every send fails. */
function withoutToken(config: TelegramConfig, name: string): Notifier {
  const issue: Issue = {
    path: "tokenEnv",
    message: `environment variable ${config.tokenEnv} is not set and no token is configured: Telegram notifier ${name} is off`,
    severity: "error",
    fix: `export ${config.tokenEnv}=<token from @BotFather>`,
  };
  return {
    name,
    issues: () => [issue],
    send() {
      return Promise.reject(
        new OpsError("CONFIG_INVALID", `telegram ${name}: ${config.tokenEnv} is not set`),
      );
    },
  };
}
