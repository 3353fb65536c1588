import { type Bot, GrammyError } from "grammy";
import type { Logger } from "pino";
import { errorMessage } from "../../core/errors.js";
import { abortableSleep } from "../../core/time.js";
import { COMMANDS } from "./commands.js";

const MIN_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;

/** grammy types its signals as the abort-controller polyfill's; at runtime a native one works. */
type GrammySignal = NonNullable<Parameters<Bot["api"]["getMe"]>[0]>;
export function grammySignal(signal: AbortSignal): GrammySignal {
  return signal as unknown as GrammySignal;
}

export interface PollOptions {
  /** Long-poll timeout for getUpdates, seconds. */
  timeoutSec: number;
  log: Logger;
  redact(text: string): string;
  /** Telegram rejected the token (401) or it names no bot (404): a config problem, not an outage. */
  onTokenRejected(rejected: boolean): void;
}

/**
 * Long-polls getUpdates and hands each update to the bot's middleware until
 * `signal` aborts. Network errors and Telegram outages back off (1 s doubling
 * to 60 s) and retry: the poller must outlive anything else that goes wrong,
 * gateways included. Resolves when stopped; never rejects.
 *
 * Updates are handled one at a time (grammy's own model); handlers that take
 * long (a repair) run in the background, so this loop stays responsive.
 */
export async function pollUpdates(
  bot: Bot,
  options: PollOptions,
  abortSignal: AbortSignal,
): Promise<void> {
  const { log } = options;
  const signal = grammySignal(abortSignal);
  let offset: number | undefined;
  let backoffMs = MIN_BACKOFF_MS;
  let ready = false;

  while (!abortSignal.aborted) {
    try {
      if (!ready) {
        // Not bot.init(): it retries network errors forever without a word; this loop logs and backs off.
        if (!bot.isInited()) bot.botInfo = await bot.api.getMe(signal);
        // Polling and a webhook exclude each other; a stale webhook would make every getUpdates fail with 409.
        await bot.api.deleteWebhook({}, signal);
        await bot.api.setMyCommands(COMMANDS, {}, signal).catch((error: unknown) => {
          log.debug({ err: options.redact(errorMessage(error)) }, "telegram.set_commands_failed");
        });
        ready = true;
        options.onTokenRejected(false);
        log.info({ username: bot.botInfo.username }, "telegram.polling_started");
      }
      const updates = await bot.api.getUpdates(
        { offset, timeout: options.timeoutSec, allowed_updates: ["message", "callback_query"] },
        signal,
      );
      backoffMs = MIN_BACKOFF_MS;
      for (const update of updates) {
        // Acknowledged even when handling fails: a poison update must not come back forever.
        offset = update.update_id + 1;
        try {
          await bot.handleUpdate(update);
        } catch (error) {
          log.error(
            { updateId: update.update_id, err: options.redact(errorMessage(error)) },
            "telegram.update_failed",
          );
        }
      }
    } catch (error) {
      if (abortSignal.aborted) break;
      let waitMs = backoffMs;
      if (error instanceof GrammyError) {
        if (error.error_code === 401 || error.error_code === 404) options.onTokenRejected(true);
        // Telegram says how long to stay away; asking sooner only extends it.
        const retryAfter = error.parameters.retry_after;
        if (retryAfter !== undefined) waitMs = Math.max(waitMs, retryAfter * 1000);
      }
      log.warn(
        { err: options.redact(errorMessage(error)), retryInMs: waitMs },
        "telegram.poll_failed",
      );
      await abortableSleep(waitMs, abortSignal);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }
  log.info({}, "telegram.polling_stopped");
}
