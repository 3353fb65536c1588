import type { Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import type { GatewayStateExtras, OpsEventInput } from "../core/events.js";
import { type GatewayInstance, type GatewayState, newInstance } from "../core/gateway-state.js";
import type { EventBus } from "../events/bus.js";
import type { Store } from "../store/store.js";

/** An event about this record's bot: the record fills in `botId`. */
export type BotEventInput = OpsEventInput extends infer E
  ? E extends OpsEventInput
    ? Omit<E, "botId">
    : never
  : never;

/**
 * One gateway's persisted state as its runner keeps it: every change of
 * state is saved and published as `gateway.state`, and whoever waits for a
 * state (a command's answer, a repair waiting for a relaunch) is woken. A
 * store outage never stops supervision: the record lives on in memory and
 * is saved with the next change.
 */
export class InstanceRecord {
  private current: GatewayInstance;
  private readonly waiters = new Set<(release: boolean) => void>();

  constructor(
    private readonly botId: string,
    private readonly deps: { store: Store; bus: EventBus; log: Logger },
    saved: GatewayInstance | null,
  ) {
    this.current = saved ?? newInstance(botId);
  }

  /** The record as it is now (do not keep it: a later change replaces it). */
  get now(): Readonly<GatewayInstance> {
    return this.current;
  }

  snapshot(): GatewayInstance {
    return { ...this.current };
  }

  /** Publishes an event about this bot. */
  publish(event: BotEventInput): void {
    this.deps.bus.publish({ ...event, botId: this.botId });
  }

  /**
   * Changes state, persists it and publishes it as `gateway.state` with the
   * time spent in the previous state. `processPid`: the live process, when
   * the record has no pid of its own (the event names it).
   */
  async transition(
    to: GatewayState,
    actor: string,
    reason: string,
    options: {
      patch?: Partial<GatewayInstance>;
      data?: GatewayStateExtras;
      processPid?: number | null;
    } = {},
  ): Promise<void> {
    const from = this.current.state;
    const inStateMs = Date.now() - Date.parse(this.current.stateSince);
    const now = new Date().toISOString();
    this.current = {
      ...this.current,
      ...options.patch,
      state: to,
      reason,
      stateSince: now,
      updatedAt: now,
    };
    const pid = this.current.pid ?? options.processPid ?? null;
    this.publish({
      type: "gateway.state",
      actor,
      ts: now,
      data: { from, to, reason, pid, inStateMs, ...options.data },
    });
    this.deps.log.info({ from, to, reason, pid: this.current.pid }, "gateway.state");
    for (const waiter of [...this.waiters]) waiter(false);
    await this.save();
  }

  /** Changes fields other than the state (figures from the checks, the process's pid). */
  async persist(patch: Partial<GatewayInstance>): Promise<void> {
    this.current = { ...this.current, ...patch, updatedAt: new Date().toISOString() };
    await this.save();
  }

  /**
   * Resolves once the state is not one of `busy` (at once when it is not),
   * when `signal` aborts, or when `release` is called; with the record then.
   */
  whenNot(busy: ReadonlySet<GatewayState>, signal?: AbortSignal): Promise<GatewayInstance> {
    if (!busy.has(this.current.state) || signal?.aborted) return Promise.resolve(this.snapshot());
    return new Promise((resolve) => {
      const waiter = (release: boolean) => {
        if (!release && !signal?.aborted && busy.has(this.current.state)) return;
        this.waiters.delete(waiter);
        signal?.removeEventListener("abort", onAbort);
        resolve(this.snapshot());
      };
      const onAbort = () => waiter(true);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Wakes every waiter: the runner stopped watching, nothing it waits for will come. */
  release(): void {
    for (const waiter of [...this.waiters]) waiter(true);
  }

  private async save() {
    try {
      await this.deps.store.saveInstance(this.current);
    } catch (error) {
      this.deps.log.error({ err: errorMessage(error) }, "gateway.state_not_saved");
    }
  }
}
