import { Bot, GrammyError, HttpError } from "grammy";
import { errorMessage, type Issue, OpsError } from "../../core/errors.js";
import { abortableSleep } from "../../core/time.js";
import type { Notifier, NotifierDeps } from "../notifier.js";
import { installCommands } from "./commands.js";
import { notificationKeyboard, renderNotification } from "./format.js";
import type { TelegramConfig } from "./index.js";
import { grammySignal, pollUpdates } from "./poller.js";

/** One sendMessage, retries included, gives up after this long. */
const SEND_TIMEOUT_MS = 30_000;
const SEND_ATTEMPTS = 3;
const SEND_BACKOFF_MS = 1_000;
/** How long close() waits for replies still being sent. */
const CLOSE_GRACE_MS = 2_000;
/** A longer flood wait is not worth holding the queue for. */
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * The Telegram notifier once it has a token: notifications through the Bot API,
 * and chat commands (status, repair, logs, pause, ...) from the same chats.
 * Loaded only when a Telegram notifier has a token (see `telegram.create`).
 */
export function createBotNotifier(
  config: TelegramConfig,
  deps: NotifierDeps,
  token: string,
): Notifier {
  // grammy's errors can carry the request URL, which has the token in it.
  const redact = (text: string) =>
    text.split(token).join("<token>").split(encodeURIComponent(token)).join("<token>");
  const pollTimeoutSec = Math.max(1, Math.round(config.pollTimeout / 1000));
  const bot = new Bot(token, {
    client: {
      ...(config.apiRoot === undefined ? {} : { apiRoot: config.apiRoot }),
      // Above the long-poll timeout, or every quiet getUpdates would count as a failure.
      timeoutSeconds: pollTimeoutSec + 15,
    },
  });
  const chatIds = new Set(config.chatIds);
  const background = new Set<Promise<void>>();
  const stop = new AbortController();
  let polling: Promise<void> | null = null;
  let tokenRejected = false;

  if (config.commands) {
    installCommands(bot, {
      control: deps.control,
      chatIds,
      log: deps.log,
      now: deps.now,
      redact,
      background(task) {
        const running: Promise<void> = task()
          .catch((error: unknown) => {
            deps.log.error({ err: redact(errorMessage(error)) }, "telegram.background_failed");
          })
          .finally(() => background.delete(running));
        background.add(running);
      },
    });
  }

  async function sendTo(
    bot: Bot,
    chatId: number,
    text: string,
    keyboard: ReturnType<typeof notificationKeyboard>,
    signal: AbortSignal,
  ) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await bot.api.sendMessage(
          chatId,
          text,
          {
            parse_mode: "HTML",
            link_preview_options: { is_disabled: true },
            ...(keyboard ? { reply_markup: keyboard } : {}),
          },
          grammySignal(signal),
        );
        tokenRejected = false;
        return;
      } catch (error) {
        if (error instanceof GrammyError && error.error_code === 401) tokenRejected = true;
        const retryInMs = retryDelay(error, attempt);
        if (retryInMs === null || signal.aborted) throw error;
        deps.log.debug(
          { chatId, attempt, retryInMs, err: redact(errorMessage(error)) },
          "telegram.send_retry",
        );
        await abortableSleep(retryInMs, signal);
      }
    }
  }

  return {
    name: deps.name,

    issues(): Issue[] {
      if (!tokenRejected) return [];
      return [
        {
          path: config.token === undefined ? "tokenEnv" : "token",
          message: `Telegram rejected the bot token of notifier ${deps.name} (401 Unauthorized)`,
          severity: "error",
          fix: "check the token with @BotFather",
        },
      ];
    },

    async send(notification, signal) {
      const text = renderNotification(notification);
      const keyboard = config.commands
        ? notificationKeyboard(notification.bot, notification.approval)
        : undefined;
      const sendSignal = AbortSignal.any([signal, AbortSignal.timeout(SEND_TIMEOUT_MS)]);
      const failures: string[] = [];
      // Every chat gets its try: one chat that blocked the bot must not silence the others.
      for (const chatId of config.chatIds) {
        try {
          await sendTo(bot, chatId, text, keyboard, sendSignal);
        } catch (error) {
          failures.push(`chat ${chatId}: ${redact(errorMessage(error))}`);
        }
      }
      if (failures.length > 0) {
        throw new OpsError("UNAVAILABLE", `telegram ${deps.name}: ${failures.join("; ")}`, {
          retryable: true,
        });
      }
    },

    async start(signal) {
      if (!config.commands || polling) return;
      // One poller per token: with several clawops hosts the daemon starts it on the fleet's
      // leader only (docs/hosts.md); two pollers make Telegram answer 409 Conflict. A poller
      // stopped by its signal (leadership lost) may be started again.
      const pollSignal = AbortSignal.any([signal, stop.signal]);
      polling = pollUpdates(
        bot,
        {
          timeoutSec: pollTimeoutSec,
          log: deps.log,
          redact,
          onTokenRejected: (rejected) => {
            tokenRejected = rejected;
          },
        },
        pollSignal,
      )
        .catch((error: unknown) => {
          deps.log.error({ err: redact(errorMessage(error)) }, "telegram.poller_crashed");
        })
        .finally(() => {
          polling = null;
        });
    },

    async close() {
      stop.abort();
      await polling;
      // Replies still on their way get a short grace; a repair still running is the daemon's to stop.
      const grace = new AbortController();
      await Promise.race([Promise.all(background), abortableSleep(CLOSE_GRACE_MS, grace.signal)]);
      grace.abort();
    },
  };
}

/** How long to wait before another try, or null when retrying cannot help. */
function retryDelay(error: unknown, attempt: number): number | null {
  if (attempt >= SEND_ATTEMPTS) return null;
  const backoffMs = SEND_BACKOFF_MS * 2 ** (attempt - 1);
  if (error instanceof HttpError) return backoffMs;
  if (!(error instanceof GrammyError)) return null;
  if (error.error_code === 429) {
    const retryAfterMs = (error.parameters.retry_after ?? 1) * 1000;
    return retryAfterMs > MAX_RETRY_AFTER_MS ? null : Math.max(backoffMs, retryAfterMs);
  }
  return error.error_code >= 500 ? backoffMs : null;
}
