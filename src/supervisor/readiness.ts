import type { GatewayStateExtras } from "../core/events.js";
import type { GatewayState } from "../core/gateway-state.js";

/** A change of state the degrading checks call for, with its reason and event data. */
export interface ReadinessChange {
  to: "running" | "degraded";
  reason: string;
  data?: GatewayStateExtras;
}

/**
 * What the degrading checks (/readyz, the WebSocket health RPC) say about
 * one gateway process. After /healthz the gateway stays `starting` until the
 * checks that gate readiness (/readyz) have passed once (`running` means live
 * and ready), and is `degraded` when they have not within `readyTimeoutMs`. Afterwards it is
 * degraded while one fails as often in a row as its setting allows, running
 * again once none does. Pure: the runner applies the changes.
 */
export class ReadinessTracker {
  /** Checks failing past their threshold now, with their last message. */
  private readonly failing = new Map<string, string>();
  /** Until the first `running`: the checks that have not passed yet. */
  private readonly pending = new Map<string, string>();
  private boot: { liveMs: number; since: number; readyBy: number } | null = null;

  constructor(private readonly readyTimeoutMs: number) {}

  /** The checks start (again) on a live process: these gate readiness, nothing known yet. */
  reset(checks: readonly string[]): void {
    this.failing.clear();
    this.pending.clear();
    for (const check of checks) this.pending.set(check, "no answer yet");
  }

  /** The process answered /healthz `liveMs` after its spawn (`since`, performance.now() time). */
  live(liveMs: number, since: number, nowMs = Date.now()): void {
    this.boot = { liveMs, since, readyBy: nowMs + this.readyTimeoutMs };
  }

  /** Forgets the process (stopped). */
  clear(): void {
    this.reset([]);
    this.boot = null;
  }

  /** One run of a degrading check; `tripped`: it has failed as often in a row as allowed. */
  record(check: string, ok: boolean, message: string, tripped: boolean): void {
    if (ok) {
      this.pending.delete(check);
      this.failing.delete(check);
      return;
    }
    if (this.pending.has(check)) this.pending.set(check, message);
    if (tripped) this.failing.set(check, message);
  }

  /** The change the checks call for in `state`, or null. */
  change(state: GatewayState, nowMs = Date.now()): ReadinessChange | null {
    if (state === "starting") {
      if (!this.boot) return null;
      if (this.pending.size === 0) {
        const readyMs = Math.round(performance.now() - this.boot.since);
        return {
          to: "running",
          reason: `ready after ${readyMs}ms, live after ${this.boot.liveMs}ms`,
          data: { bootMs: readyMs, liveMs: this.boot.liveMs },
        };
      }
      if (nowMs < this.boot.readyBy) return null;
      return {
        to: "degraded",
        reason: `not ready ${Math.round(this.readyTimeoutMs / 1000)}s after boot: ${describe(this.pending)}`,
      };
    }
    if (this.failing.size > 0 && state === "running")
      return { to: "degraded", reason: describe(this.failing) };
    if (this.failing.size === 0 && state === "degraded")
      return { to: "running", reason: "ready again" };
    return null;
  }
}

function describe(checks: ReadonlyMap<string, string>): string {
  return [...checks].map(([name, message]) => `${name}: ${message}`).join("; ");
}
