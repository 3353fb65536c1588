import { createHmac } from "node:crypto";
import { z } from "zod";
import { duration } from "../core/duration.js";
import { errorMessage, type Issue, OpsError } from "../core/errors.js";
import {
  NOTIFICATION_KINDS,
  type Notification,
  type NotificationKind,
} from "../core/notification.js";
import { abortableSleep } from "../core/time.js";
import { type Notifier, type NotifierPlugin, notifierSchema } from "./notifier.js";

/** A Retry-After longer than this is not waited for: the next notification will try again. */
const MAX_RETRY_AFTER_MS = 60_000;

const schema = notifierSchema("webhook", {
  url: z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }),
  /** Signs each request (HMAC-SHA256); prefer `secretEnv` so the secret stays out of the file. */
  secret: z.string().min(1).optional(),
  secretEnv: z.string().min(1).optional(),
  /** Per attempt. */
  timeout: duration("5s"),
  /** Attempts after the first, on network errors, timeouts, 429 and 5xx. */
  retries: z.number().int().min(0).max(10).default(3),
  /** Wait before the first retry; doubles each time. */
  retryDelay: duration("1s"),
  /** Only these kinds (all when absent). */
  kinds: z.array(z.enum(NOTIFICATION_KINDS)).min(1).optional(),
});

export type WebhookConfig = z.output<typeof schema>;

/** What the receiver gets as the JSON body: the notification without its dedupe key. */
export type WebhookPayload = Omit<Notification, "dedupeKey">;

/** `sha256=<hex>` over `<unix seconds>.<body>`, the value of `x-clawops-signature`. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * POSTs each notification as JSON, HMAC-signed when a secret is configured,
 * with exponential backoff on what a retry can fix.
 */
export const webhook: NotifierPlugin<typeof schema> = {
  type: "webhook",
  schema,
  create(config, deps): Notifier {
    const issues: Issue[] = [];
    let secret = config.secret;
    if (secret === undefined && config.secretEnv !== undefined) {
      secret = deps.env[config.secretEnv] || undefined;
      if (secret === undefined) {
        issues.push({
          path: "secretEnv",
          message: `environment variable ${config.secretEnv} is not set: webhook ${deps.name} sends nothing until it is`,
          severity: "error",
          fix: `export ${config.secretEnv}=<shared secret>`,
        });
      }
    }
    // Webhook URLs often carry their secret in the path (Slack, Discord): logs and errors get the host only.
    const target = new URL(config.url).host;
    const kinds = config.kinds ? new Set<NotificationKind>(config.kinds) : null;

    async function attempt(
      body: string,
      kind: NotificationKind,
      signal: AbortSignal,
    ): Promise<Response> {
      const timestamp = String(Math.floor(deps.now() / 1000));
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "user-agent": "clawops",
        "x-clawops-event": kind,
        "x-clawops-timestamp": timestamp,
      };
      if (secret !== undefined)
        headers["x-clawops-signature"] = signWebhook(secret, timestamp, body);
      return fetch(config.url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeout)]),
      });
    }

    return {
      name: deps.name,
      accepts: (notification) => kinds === null || kinds.has(notification.kind),
      issues: () => [...issues],
      async send(notification, signal) {
        if (issues.length > 0) {
          throw new OpsError(
            "CONFIG_INVALID",
            `webhook ${deps.name}: ${config.secretEnv} is not set`,
          );
        }
        const payload: WebhookPayload = {
          kind: notification.kind,
          bot: notification.bot,
          title: notification.title,
          lines: notification.lines,
          ...(notification.detail === undefined ? {} : { detail: notification.detail }),
          ...(notification.repairId === undefined ? {} : { repairId: notification.repairId }),
          ts: notification.ts,
        };
        const body = JSON.stringify(payload);
        let lastProblem = "";
        let retryAfterMs = 0;
        for (let tries = 0; tries <= config.retries; tries += 1) {
          if (tries > 0) {
            const backoffMs = config.retryDelay * 2 ** (tries - 1);
            await abortableSleep(Math.max(backoffMs, retryAfterMs), signal);
            retryAfterMs = 0;
          }
          if (signal.aborted) break;
          try {
            const response = await attempt(body, notification.kind, signal);
            // The body is not used, but reading it frees the connection for the next request.
            await response.arrayBuffer().catch(() => undefined);
            if (response.ok) return;
            lastProblem = `answered ${response.status}`;
            if (!isRetryable(response.status)) break;
            retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
            deps.log.debug(
              { target, status: response.status, attempt: tries + 1 },
              "webhook.retry",
            );
          } catch (error) {
            if (signal.aborted) break;
            lastProblem = describeFetchError(error);
            deps.log.debug({ target, err: lastProblem, attempt: tries + 1 }, "webhook.retry");
          }
        }
        if (signal.aborted && lastProblem === "") lastProblem = "aborted";
        throw new OpsError("UNAVAILABLE", `webhook ${target} ${lastProblem}`, { retryable: true });
      },
    };
  },
};

function isRetryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Retry-After in seconds (dates are rare from webhook receivers and ignored). */
function parseRetryAfter(value: string | null): number {
  if (value === null || !/^\d+$/.test(value.trim())) return 0;
  return Math.min(Number(value.trim()) * 1000, MAX_RETRY_AFTER_MS);
}

/** fetch's errors say little ("fetch failed"); the cause has the code (ECONNREFUSED, ...). */
function describeFetchError(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return "timed out";
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === "string") return `unreachable (${cause.code})`;
  return `failed: ${errorMessage(error)}`;
}
