import type { Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import {
  type BusEvent,
  type OpsEvent,
  type OpsEventInput,
  type StoredEventInput,
  eventIssues,
  eventStored,
  eventVersion,
} from "../core/events.js";
import { abortableSleep, sleep } from "../core/time.js";

export type EventListener = (event: BusEvent) => void;

interface Pending {
  input: BusEvent;
  queuedAt: number;
  resolve?: (event: OpsEvent) => void;
  reject?: (error: unknown) => void;
}

export interface EventBusHealth {
  pending: number;
  oldestPendingMs: number;
  lastError: string | null;
  written: number;
}

const BATCH = 200;
const MAX_PENDING = 50_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * The in-process event bus. Subscribers get each event at once, in publish
 * order (on a microtask, never inside `publish`); persistence runs beside
 * delivery, in order and batched, and a store outage (a full disk, a lost
 * database) queues events and retries without holding anyone up: a repair
 * must not wait for the disk to have room.
 */
export class EventBus {
  private readonly queue: Pending[] = [];
  private readonly listeners = new Set<EventListener>();
  private draining: Promise<void> | null = null;
  private lastError: string | null = null;
  private readonly closing = new AbortController();
  private written = 0;
  private dropped = 0;
  private readonly deliveries: BusEvent[] = [];

  constructor(
    private readonly persist: (batch: readonly StoredEventInput[]) => Promise<OpsEvent[]>,
    private readonly log: Logger,
  ) {}

  /** Delivers an event and queues it for the store (a stored type); returns at once. */
  publish(input: OpsEventInput): void {
    const event = this.complete(input);
    if (eventStored(event.type)) this.enqueue({ input: event, queuedAt: Date.now() });
    else this.deliver(event);
  }

  /** Delivers an event and resolves once it is persisted. */
  publishAndWait(input: OpsEventInput): Promise<OpsEvent> {
    return new Promise((resolve, reject) => {
      this.enqueue({ input: this.complete(input), queuedAt: Date.now(), resolve, reject });
    });
  }

  /** Receives every event as it is published; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when everything queued so far is persisted, or after `timeoutMs` with what is left. */
  async flush(timeoutMs: number): Promise<{ left: number }> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      await Promise.race([this.draining, sleep(Math.min(50, deadline - Date.now()))]);
    }
    return { left: this.queue.length };
  }

  /**
   * Stops persisting: events still queued are given up (their waiters
   * rejected) and later publishes are refused. Call after `flush`.
   */
  close(): void {
    this.closing.abort();
    for (const pending of this.queue.splice(0)) pending.reject?.(new Error("event bus closed"));
  }

  health(): EventBusHealth {
    const oldest = this.queue[0];
    return {
      pending: this.queue.length,
      oldestPendingMs: oldest ? Date.now() - oldest.queuedAt : 0,
      lastError: this.lastError,
      written: this.written,
    };
  }

  /**
   * The compiler holds publishers to the catalogue; this catches what a cast
   * let through. The event still goes out (an event lost is worse than one
   * misshapen) and the mismatch is logged as the bug it is.
   */
  private complete(input: OpsEventInput): BusEvent {
    const issues = eventIssues(input);
    if (issues) this.log.error({ type: input.type, issues }, "events.off_catalogue");
    return complete(input);
  }

  private enqueue(pending: Pending): void {
    if (this.closing.signal.aborted) {
      pending.reject?.(new Error("event bus closed"));
      this.log.error({ type: pending.input.type }, "events.after_close");
      return;
    }
    if (this.queue.length >= MAX_PENDING) {
      const dropped = this.queue.shift();
      dropped?.reject?.(new Error("event queue overflow"));
      this.dropped += 1;
      this.log.error({ dropped: this.dropped, type: dropped?.input.type }, "events.dropped");
    }
    this.queue.push(pending);
    this.deliver(pending.input);
    this.kick();
  }

  private deliver(event: BusEvent): void {
    this.deliveries.push(event);
    if (this.deliveries.length > 1) return;
    queueMicrotask(() => {
      // Events published by a listener join the end of this same run, in order.
      for (let i = 0; i < this.deliveries.length; i++) {
        const next = this.deliveries[i]!;
        for (const listener of this.listeners) {
          try {
            listener(next);
          } catch (error) {
            this.log.error({ err: errorMessage(error), type: next.type }, "events.listener_failed");
          }
        }
      }
      this.deliveries.length = 0;
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      // Events queued after the drain loop's last check but before this ran.
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    while (this.queue.length > 0 && !this.closing.signal.aborted) {
      const batch = this.queue.slice(0, BATCH);
      let stored: OpsEvent[];
      try {
        stored = await this.persist(
          batch.map(({ input }) => ({ ...input, version: eventVersion(input.type) })),
        );
      } catch (error) {
        this.lastError = errorMessage(error);
        this.log.warn(
          { err: this.lastError, pending: this.queue.length, retryMs },
          "events.persist_failed",
        );
        await abortableSleep(retryMs, this.closing.signal);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        continue;
      }
      retryMs = RETRY_MIN_MS;
      this.lastError = null;
      this.queue.splice(0, batch.length);
      this.written += stored.length;
      stored.forEach((event, i) => batch[i]?.resolve?.(event));
    }
  }
}

/** The event as delivered and stored: its time is when it was published, not when it was written. */
function complete(input: OpsEventInput): BusEvent {
  return {
    type: input.type,
    botId: input.botId ?? null,
    actor: input.actor,
    data: input.data,
    ts: input.ts ?? new Date().toISOString(),
  } as BusEvent;
}
