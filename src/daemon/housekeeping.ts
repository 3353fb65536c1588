import type { Bot } from "../core/bot.js";
import { GATEWAY_STATES, type GatewayInstance } from "../core/gateway-state.js";
import type { DaemonContext } from "./context.js";
import type { Metrics } from "./metrics.js";
import {
  recordBudgetUsage,
  recordGatewayStates,
  recordNotifierTotals,
  recordRepairStatus,
} from "./fleet-metrics.js";

/**
 * The daemon's periodic tick: its readiness (which pings the store) into the
 * metrics, the registry's bots into `learnBots`, the fleet's gauges, then the
 * supervisor's reconcile, log rotation and the ingest's reconcile, then the
 * repair budgets and spending budgets into the metrics. Throws when
 * the store is not ready (the loop logs it and tries again next tick).
 */
export async function housekeeping(
  context: DaemonContext,
  learnBots: (bots: readonly Bot[]) => void,
): Promise<void> {
  const { metrics, store, bus, supervisor, ingest } = context;
  // One readiness check per tick: it pings the store, so no second ping here.
  const readiness = await context.readiness();
  metrics.up.set(readiness.ready ? 1 : 0);
  const storePart = readiness.parts.store;
  if (!storePart?.ok) throw new Error(storePart?.reason ?? "store not ready");
  metrics.storePing.observe(Number(storePart.latencyMs) / 1000);
  const bots = await store.listBots();
  learnBots(bots);
  metrics.bots.reset();
  for (const bot of bots) metrics.bots.inc({ desired_state: bot.desiredState });
  metrics.eventsPending.set(bus.health().pending);
  // This host's gateways: each host's /metrics counts its own, so that a sum over hosts is right.
  const gateways = await supervisor.ownInstances();
  recordGatewayMetrics(metrics, bots, gateways);
  recordGatewayStates(metrics.fleet, bots, gateways);
  recordNotifierTotals(metrics.fleet, context.notifier.health(), metrics.fleet.notifierSeen);
  await supervisor.reconcile("daemon");
  supervisor.rotateLogs();
  await ingest.reconcile();
  // Last: a store that fails these reads must not cost the tick its reconcile.
  recordRepairStatus(metrics.fleet, await context.repair.status(), bots);
  if (context.config.budgets.length > 0)
    recordBudgetUsage(metrics.fleet, await context.budgets.status());
}

function recordGatewayMetrics(metrics: Metrics, bots: Bot[], gateways: GatewayInstance[]) {
  const names = new Map(bots.map((b) => [b.id, b.name]));
  metrics.gateways.reset();
  metrics.gatewayRestarts.reset();
  metrics.gatewayRss.reset();
  for (const state of GATEWAY_STATES) metrics.gateways.set({ state }, 0);
  for (const g of gateways) {
    const bot = names.get(g.botId);
    if (!bot) continue;
    metrics.gateways.inc({ state: g.state });
    metrics.gatewayRestarts.set({ bot }, g.restarts);
    if (g.rssBytes !== null && g.pid !== null) metrics.gatewayRss.set({ bot }, g.rssBytes);
  }
}
