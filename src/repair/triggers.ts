import type { BusEvent } from "../core/events.js";
import type { RepairTrigger } from "../core/repair.js";

/** A fault to repair, as the supervisor's events describe it. */
export interface Trigger {
  trigger: RepairTrigger;
  cause: string;
  faultAt: string;
  detectedAt: string;
}

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
    const botId = event.botId;
    const data = event.data;
    const at = event.ts;
    // Any other state ends a degraded spell, and its grace with it.
    if (event.type === "gateway.state" && data.to !== "degraded") this.clearDegraded(botId);
    switch (event.type) {
      case "gateway.hung":
        this.hung.set(botId, {
          at: Date.parse(at),
          failingSince: typeof data.failingSince === "string" ? data.failingSince : at,
          message: typeof data.message === "string" ? data.message : "",
        });
        return null;
      case "gateway.port_conflict":
        return {
          trigger: "port_conflict",
          cause: `port ${String(data.port)} held by another process`,
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
        // A memory check that found no process raced its exit: the crash is the news.
        const memory = data.check === "rss";
        if (memory && typeof data.rssBytes !== "number") return null;
        this.options.onWarning(botId, `${String(data.check)}: ${String(data.message)}`, at);
        return memory && this.options.restartOnMemory
          ? {
              trigger: "memory",
              cause: `memory: ${String(data.message)}`,
              faultAt: at,
              detectedAt: at,
            }
          : null;
      }
      case "gateway.state":
        return this.stateTrigger(botId, event);
      default:
        return null;
    }
  }

  private stateTrigger(botId: string, event: BusEvent): Trigger | null {
    const { data, ts } = event;
    const reason = typeof data.reason === "string" ? data.reason : "";
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
      const faultAt = typeof data.aliveAt === "string" ? data.aliveAt : ts;
      return { trigger: "crash", cause: `crash: ${reason}`, faultAt, detectedAt: ts };
    }
    if (data.to === "failed" && reason.startsWith("cannot start:"))
      return {
        trigger: "config_invalid",
        cause: "the start gate refused the config",
        faultAt: ts,
        detectedAt: ts,
      };
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
