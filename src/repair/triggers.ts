import type { BusEvent, EventData } from "../core/events.js";
import type { StartFailure, StartFailureKind } from "../core/start-failure.js";
import type { RepairTrigger } from "../core/repair.js";

/** A fault to repair, as the supervisor's events describe it. */
export interface Trigger {
  trigger: RepairTrigger;
  cause: string;
  faultAt: string;
  detectedAt: string;
  /** A start that failed before a process ran: why, as a kind. */
  failure?: StartFailure;
}

/**
 * What a failed start's kind calls for: a repair trigger, or none when the
 * supervisor's own events already name the fault (a held port is a
 * `gateway.port_conflict`; a spawn the system refused goes through the
 * restart policy like a crash).
 */
const FAILURE_TRIGGERS: Readonly<Record<StartFailureKind, RepairTrigger | null>> = {
  config_rejected: "config_invalid",
  config_missing: "config_invalid",
  binary_missing: "start_failed",
  binary_not_executable: "start_failed",
  state_dir_unwritable: "start_failed",
  port_held: null,
  spawn_error: null,
};

/** How specific a trigger is: when one fault reports itself twice, the more specific names it. */
export const TRIGGER_RANK: Readonly<Record<RepairTrigger, number>> = {
  manual: 0,
  readiness: 1,
  memory: 2,
  crash: 3,
  hung: 4,
  config_invalid: 5,
  exit_78: 6,
  port_conflict: 7,
  crash_loop: 8,
  start_failed: 9,
};

/** A hang is reported before the kill that follows it: the crash is then the hang's. */
const HANG_MEMORY_MS = 60_000;

export interface TriggerWatchOptions {
  readinessGraceMs: number;
  restartOnMemory: boolean;
  /** A gateway stayed degraded for the grace period (the other triggers are returned by `handle`). */
  onTrigger(botId: string, trigger: Trigger): void;
  /** Worth telling, not yet repairing: memory, a gateway that stopped being ready. */
  onWarning(botId: string, what: string, at: string): void;
}

/**
 * Reads the supervisor's events and says which are faults to repair. It
 * remembers a hang (the crash that follows is the hang's) and times a
 * degraded gateway (not ready for the grace period is a fault).
 */
export class TriggerWatch {
  private readonly hung = new Map<string, { at: number; failingSince: string; message: string }>();
  private readonly degradedTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: TriggerWatchOptions) {}

  close(): void {
    for (const timer of this.degradedTimers.values()) clearTimeout(timer);
    this.degradedTimers.clear();
  }

  /** The repair trigger an event is; null when it is not a fault (or concerns no bot). */
  handle(event: BusEvent): Trigger | null {
    if (!event.botId) return null;
    const { botId, ts: at } = event;
    switch (event.type) {
      case "gateway.hung":
        this.hung.set(botId, {
          at: Date.parse(at),
          failingSince: event.data.failingSince,
          message: event.data.message,
        });
        return null;
      case "gateway.port_conflict":
        return {
          trigger: "port_conflict",
          cause: `port ${event.data.port} held by another process`,
          faultAt: at,
          detectedAt: at,
        };
      case "gateway.crash_loop":
        return {
          trigger: "crash_loop",
          cause: "crash loop: the supervisor stopped restarting",
          faultAt: at,
          detectedAt: at,
        };
      case "gateway.warning": {
        const { check, message, rssBytes } = event.data;
        // A memory check that found no process raced its exit: the crash is the news.
        const memory = check === "rss";
        if (memory && rssBytes === undefined) return null;
        this.options.onWarning(botId, `${check}: ${message}`, at);
        return memory && this.options.restartOnMemory
          ? { trigger: "memory", cause: `memory: ${message}`, faultAt: at, detectedAt: at }
          : null;
      }
      case "gateway.state":
        // Any other state ends a degraded spell, and its grace with it.
        if (event.data.to !== "degraded") this.clearDegraded(botId);
        return this.stateTrigger(botId, event.data, at);
      default:
        return null;
    }
  }

  private stateTrigger(
    botId: string,
    data: EventData<"gateway.state">,
    ts: string,
  ): Trigger | null {
    const { reason } = data;
    if (data.to === "crashed") {
      const hang = this.hung.get(botId);
      this.hung.delete(botId);
      if (hang && Date.parse(ts) - hang.at < HANG_MEMORY_MS)
        return {
          trigger: "hung",
          cause: `hung: ${hang.message}`,
          faultAt: hang.failingSince,
          detectedAt: new Date(hang.at).toISOString(),
        };
      if (data.exitCode === 78)
        return {
          trigger: "exit_78",
          cause: `exit 78: the gateway refused to start (${reason})`,
          faultAt: ts,
          detectedAt: ts,
        };
      // From when the process was last known alive, not from when its crash was recorded.
      return {
        trigger: "crash",
        cause: `crash: ${reason}`,
        faultAt: data.aliveAt ?? ts,
        detectedAt: ts,
      };
    }
    if (data.to === "failed" && data.failure) {
      const trigger = FAILURE_TRIGGERS[data.failure.kind];
      return trigger
        ? {
            trigger,
            cause: data.failure.message,
            faultAt: ts,
            detectedAt: ts,
            failure: data.failure,
          }
        : null;
    }
    if (data.to === "degraded" && !this.degradedTimers.has(botId)) {
      this.options.onWarning(botId, `not ready: ${reason}`, ts);
      const timer = setTimeout(() => {
        this.degradedTimers.delete(botId);
        this.options.onTrigger(botId, {
          trigger: "readiness",
          cause: `not ready for ${Math.round(this.options.readinessGraceMs / 1000)}s: ${reason}`,
          // Wall-clock, like the event times of every other trigger (and process start times).
          faultAt: ts,
          detectedAt: new Date().toISOString(),
        });
      }, this.options.readinessGraceMs);
      timer.unref();
      this.degradedTimers.set(botId, timer);
    }
    return null;
  }

  private clearDegraded(botId: string) {
    const timer = this.degradedTimers.get(botId);
    if (timer) clearTimeout(timer);
    this.degradedTimers.delete(botId);
  }
}
