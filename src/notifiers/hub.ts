import type { Logger } from "pino";
import { errorMessage, type Issue } from "../core/errors.js";
import type { Notification, NotificationKind } from "../core/notification.js";
import type { Notifier } from "./notifier.js";

/** How one notifier is doing, for `/readyz`, metrics and `clawops status`. */
export interface NotifierHealth {
  name: string;
  type: string;
  sent: number;
  /** Gave up after its own retries. */
  failed: number;
  /** Deduplicated, rate limited, or pushed out of a full queue. */
  dropped: number;
  /** The last failure's message (secret-free), null when none yet. */
  lastError: string | null;
  /** ISO 8601 of the last successful send. */
  lastSentAt: string | null;
}

/** A repair's outcome is what operators must not miss; the repair budget already bounds how many. */
const ALWAYS_SENT: ReadonlySet<NotificationKind> = new Set(["escalated", "recovered"]);

export interface NotificationHub {
  /**
   * Queues for every notifier; never throws; deduplicated and rate limited.
   * Returns what was admitted (with a note of what the rate limit held back),
   * null when it was a duplicate or over the limit: what else tells operators
   * (the realtime notification rooms) passes on the same.
   */
  notify(notification: Notification): Notification | null;
  /** Starts what listens (the Telegram command poller); resolves once started. */
  start(signal: AbortSignal): Promise<void>;
  /**
   * Resolves when everything queued so far was sent or gave up, or after
   * `timeoutMs` (default 10 s) whichever comes first. Never rejects.
   */
  flush(timeoutMs?: number): Promise<void>;
  /** Stops listeners, gives queued sends a short grace, then aborts them. Idempotent. */
  close(): Promise<void>;
  /** Config problems (paths relative to the notify section); never throws. */
  issues(): Issue[];
  health(): NotifierHealth[];
}

export interface HubEntry {
  type: string;
  /** Where its config sits, e.g. `notifiers[0]`; prefixes its issues. */
  path: string;
  notifier: Notifier;
  /** Only this organisation's notifications reach it; all when unset. */
  org?: string | undefined;
}

export interface HubSettings {
  dedupeWindowMs: number;
  rateLimit: { count: number; windowMs: number };
}

export interface HubDeps {
  log: Logger;
  now: () => number;
  /** Problems found while building the notifiers (a plugin that threw). */
  issues?: Issue[];
  /** Whose a notification is, for notifiers that serve one organisation. */
  orgOf?: (notification: Notification) => string;
}

/** A stuck destination must not hold an unbounded backlog in memory. */
const MAX_PENDING = 100;
const DEFAULT_FLUSH_MS = 10_000;
const CLOSE_GRACE_MS = 5_000;

/** Rate limit bucket for notifications about no bot in particular. */
const FLEET = "fleet";

/**
 * Puts deduplication and a per-bot rate limit in front of the notifiers, and
 * gives each notifier its own queue so a slow or failing one never holds up
 * the others. Delivery order is kept per notifier.
 */
export function createHub(
  entries: readonly HubEntry[],
  settings: HubSettings,
  deps: HubDeps,
): NotificationHub {
  const lanes = entries.map((entry) => new Lane(entry, deps.log, deps.now, deps.orgOf));
  const seen = new Map<string, number>();
  const delivered = new Map<string, number[]>();
  const suppressed = new Map<string, number>();
  // Listeners (pollers) stop first; in-flight sends get a grace period after that.
  const stopListening = new AbortController();
  const abortSends = new AbortController();
  let closed = false;
  let closing: Promise<void> | null = null;

  function prune(now: number): void {
    for (const [key, at] of seen) {
      if (now - at >= settings.dedupeWindowMs) seen.delete(key);
    }
    for (const [bucket, times] of delivered) {
      const recent = times.filter((at) => now - at < settings.rateLimit.windowMs);
      if (recent.length === 0) delivered.delete(bucket);
      else delivered.set(bucket, recent);
    }
  }

  function drop(notification: Notification): void {
    for (const lane of lanes) if (lane.accepts(notification)) lane.health.dropped += 1;
  }

  function admit(notification: Notification): Notification | null {
    const now = deps.now();
    prune(now);
    if (seen.has(notification.dedupeKey)) {
      deps.log.debug(
        { kind: notification.kind, bot: notification.bot, dedupeKey: notification.dedupeKey },
        "notify.deduplicated",
      );
      return null;
    }
    const bucket = notification.bot ?? FLEET;
    const times = delivered.get(bucket) ?? [];
    if (times.length >= settings.rateLimit.count && !ALWAYS_SENT.has(notification.kind)) {
      const count = (suppressed.get(bucket) ?? 0) + 1;
      suppressed.set(bucket, count);
      // One warning per burst is enough: the point is not to flood anything.
      if (count === 1) deps.log.warn({ bot: bucket }, "notify.rate_limited");
      return null;
    }
    // Recorded only once it goes out, so a message lost to the rate limit can still come later.
    seen.set(notification.dedupeKey, now);
    delivered.set(bucket, [...times, now]);
    const missed = suppressed.get(bucket) ?? 0;
    if (missed === 0) return notification;
    suppressed.delete(bucket);
    const noun = missed === 1 ? "notification" : "notifications";
    const verb = missed === 1 ? "was" : "were";
    return {
      ...notification,
      lines: [...notification.lines, `(${missed} more ${noun} for ${bucket} ${verb} suppressed)`],
    };
  }

  async function flush(timeoutMs = DEFAULT_FLUSH_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await Promise.race([Promise.all(lanes.map((lane) => lane.idle())), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function shutdown(): Promise<void> {
    stopListening.abort();
    await flush(CLOSE_GRACE_MS);
    abortSends.abort();
    await Promise.all(
      lanes.map(async (lane) => {
        try {
          await lane.entry.notifier.close?.();
        } catch (error) {
          deps.log.warn(
            { notifier: lane.entry.notifier.name, err: errorMessage(error) },
            "notify.close_failed",
          );
        }
      }),
    );
  }

  return {
    notify(notification) {
      try {
        if (closed) return null;
        const admitted = admit(notification);
        if (!admitted) {
          drop(notification);
          return null;
        }
        for (const lane of lanes) lane.enqueue(admitted, abortSends.signal);
        return admitted;
      } catch (error) {
        // The caller is a repair or a supervisor: a notification problem must never reach it.
        deps.log.error({ err: errorMessage(error) }, "notify.internal_error");
        return null;
      }
    },

    async start(signal) {
      const listening = AbortSignal.any([signal, stopListening.signal]);
      for (const lane of lanes) {
        const { notifier } = lane.entry;
        if (!notifier.start) continue;
        try {
          await notifier.start(listening);
        } catch (error) {
          lane.health.lastError = errorMessage(error);
          deps.log.error(
            { notifier: notifier.name, err: lane.health.lastError },
            "notify.start_failed",
          );
        }
      }
    },

    flush,

    close() {
      closed = true;
      closing ??= shutdown();
      return closing;
    },

    issues() {
      const found: Issue[] = [...(deps.issues ?? [])];
      for (const { entry } of lanes) {
        try {
          for (const issue of entry.notifier.issues?.() ?? []) {
            found.push({ ...issue, path: issue.path ? `${entry.path}.${issue.path}` : entry.path });
          }
        } catch (error) {
          found.push({ path: entry.path, message: errorMessage(error), severity: "error" });
        }
      }
      return found;
    },

    health() {
      return lanes.map((lane) => ({ ...lane.health }));
    },
  };
}

/** One notifier's queue, worked off one notification at a time. */
class Lane {
  readonly health: NotifierHealth;
  private readonly pending: { notification: Notification; signal: AbortSignal }[] = [];
  private active = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    readonly entry: HubEntry,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly orgOf?: (notification: Notification) => string,
  ) {
    this.health = {
      name: entry.notifier.name,
      type: entry.type,
      sent: 0,
      failed: 0,
      dropped: 0,
      lastError: null,
      lastSentAt: null,
    };
  }

  accepts(notification: Notification): boolean {
    const { org } = this.entry;
    if (org !== undefined && this.orgOf?.(notification) !== org) return false;
    try {
      return this.entry.notifier.accepts?.(notification) ?? true;
    } catch {
      return true;
    }
  }

  enqueue(notification: Notification, signal: AbortSignal): void {
    if (!this.accepts(notification)) return;
    if (this.pending.length >= MAX_PENDING) {
      this.pending.shift();
      this.health.dropped += 1;
      this.log.warn({ notifier: this.health.name }, "notify.queue_full");
    }
    this.pending.push({ notification, signal });
    if (this.active) return;
    this.active = true;
    this.done = this.drain();
  }

  /** Resolves when the queue is empty and nothing is being sent. */
  idle(): Promise<void> {
    return this.done;
  }

  private async drain(): Promise<void> {
    for (let next = this.pending.shift(); next; next = this.pending.shift()) {
      await this.deliver(next.notification, next.signal);
    }
    // Cleared in the same tick as the empty check, so enqueue() never misses a restart.
    this.active = false;
  }

  private async deliver(notification: Notification, signal: AbortSignal): Promise<void> {
    const started = this.now();
    try {
      if (signal.aborted) throw new Error("not sent: clawops is shutting down");
      await this.entry.notifier.send(notification, signal);
      this.health.sent += 1;
      this.health.lastSentAt = new Date(this.now()).toISOString();
      this.log.debug(
        {
          notifier: this.health.name,
          kind: notification.kind,
          bot: notification.bot,
          durationMs: this.now() - started,
        },
        "notify.sent",
      );
    } catch (error) {
      this.health.failed += 1;
      this.health.lastError = errorMessage(error);
      this.log.warn(
        {
          notifier: this.health.name,
          kind: notification.kind,
          bot: notification.bot,
          durationMs: this.now() - started,
          err: this.health.lastError,
        },
        "notify.failed",
      );
    }
  }
}
