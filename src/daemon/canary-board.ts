import type { EventData } from "../core/events.js";
import type { EventBus } from "../events/bus.js";
import type { Metrics } from "./metrics.js";

/** A bot's last canary run as `clawops status` and `GET /api/v1/status` show it. */
export type CanaryResult = EventData<"gateway.canary"> & { at: string };

/**
 * The canary's results (`gateway.canary`, one per run): counted and timed in
 * the metrics, the last one per bot kept for the status. In memory: after a
 * daemon restart the status shows the next run's result.
 */
export class CanaryBoard {
  private readonly last = new Map<string, CanaryResult>();

  constructor(bus: EventBus, metrics: Metrics, botName: (id: string) => string | null) {
    bus.subscribe((event) => {
      if (event.type !== "gateway.canary" || event.botId === null) return;
      this.last.set(event.botId, { ...event.data, at: event.ts });
      const bot = botName(event.botId) ?? event.botId;
      metrics.canaryRuns.inc({ bot, outcome: event.data.outcome });
      if (event.data.outcome === "pass" && event.data.latencyMs !== null)
        metrics.canaryLatency.observe({ bot }, event.data.latencyMs / 1000);
    });
  }

  /** The bot's last canary run; null when none ran since the daemon started. */
  lastOf(botId: string): CanaryResult | null {
    return this.last.get(botId) ?? null;
  }
}
