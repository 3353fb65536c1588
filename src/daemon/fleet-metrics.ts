import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Bot } from "../core/bot.js";
import type { BusEvent } from "../core/events.js";
import { GATEWAY_STATES, type GatewayInstance } from "../core/gateway-state.js";
import type { RepairStatus } from "../core/repair.js";

/**
 * The series the alert rules and dashboards of `deploy/monitoring/` read
 * (docs/monitoring.md): per-gateway state, repairs, the repair budget,
 * notifiers, checks, budgets and session errors. Every series about one bot
 * carries a `bot` label, so `/metrics` keeps them to the organisation that
 * may see the bot (src/http/metrics-scope.ts).
 */
export function createFleetMetrics(registry: Registry) {
  const registers = [registry];
  return {
    /** The notifiers' totals at the last tick (see recordNotifierTotals). */
    notifierSeen: new Map<string, NotifierTotals>(),
    gatewayState: new Gauge({
      name: "clawops_gateway_state",
      help: "1 for the state each bot's gateway is in now, 0 for the others",
      labelNames: ["bot", "state"] as const,
      registers,
    }),
    gatewayUp: new Gauge({
      name: "clawops_gateway_up",
      help: "1 when the bot's gateway process is live (running or degraded), else 0",
      labelNames: ["bot"] as const,
      registers,
    }),
    gatewayReady: new Gauge({
      name: "clawops_gateway_ready",
      help: "1 when the bot's gateway is running and ready, 0 when it is not (degraded, down)",
      labelNames: ["bot"] as const,
      registers,
    }),
    gatewayDesiredUp: new Gauge({
      name: "clawops_gateway_desired_up",
      help: "1 when the bot's desired state is running (an operator wants it up)",
      labelNames: ["bot"] as const,
      registers,
    }),
    gatewayCrashes: new Counter({
      name: "clawops_gateway_crashes_total",
      help: "Gateway processes that ended without being asked to (gateway.state to crashed)",
      labelNames: ["bot"] as const,
      registers,
    }),
    gatewayCrashLoops: new Counter({
      name: "clawops_gateway_crash_loops_total",
      help: "Times the supervisor gave up restarting a gateway that failed too often (gateway.crash_loop)",
      labelNames: ["bot"] as const,
      registers,
    }),
    repairs: new Counter({
      name: "clawops_repairs_total",
      help: "Finished repairs by bot, outcome, highest tier that ran and trigger (repair.finished)",
      labelNames: ["bot", "outcome", "tier", "trigger"] as const,
      registers,
    }),
    repairBudgetRemaining: new Gauge({
      name: "clawops_repair_budget_remaining",
      help: "Automatic repairs left for the bot in the current window (0 while in cooldown)",
      labelNames: ["bot"] as const,
      registers,
    }),
    repairPaused: new Gauge({
      name: "clawops_repair_paused",
      help: "1 when automatic repair is paused for the bot (by itself or fleet-wide)",
      labelNames: ["bot"] as const,
      registers,
    }),
    repairEnabled: new Gauge({
      name: "clawops_repair_enabled",
      help: "1 when automatic repair is enabled in clawops.yaml (repair.enabled)",
      registers,
    }),
    notifierSent: new Counter({
      name: "clawops_notifier_sent_total",
      help: "Notifications each notifier delivered",
      labelNames: ["notifier", "type"] as const,
      registers,
    }),
    notifierFailed: new Counter({
      name: "clawops_notifier_failed_total",
      help: "Notifications each notifier gave up on after its own retries",
      labelNames: ["notifier", "type"] as const,
      registers,
    }),
    notifierDropped: new Counter({
      name: "clawops_notifier_dropped_total",
      help: "Notifications pushed out of a notifier's full queue",
      labelNames: ["notifier", "type"] as const,
      registers,
    }),
    checkDuration: new Histogram({
      name: "clawops_check_duration_seconds",
      help: "How long each gateway check took, by bot and check",
      labelNames: ["bot", "check"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    checkFailures: new Counter({
      name: "clawops_check_failures_total",
      help: "Failed runs of each gateway check, by bot and check",
      labelNames: ["bot", "check"] as const,
      registers,
    }),
    budgetUsage: new Gauge({
      name: "clawops_budget_usage_ratio",
      help: "A budget's spend in its current period over its limit (1 = the limit); `bot` set for a bot's budget",
      labelNames: ["scope", "name", "window", "bot"] as const,
      registers,
    }),
    budgetPaused: new Gauge({
      name: "clawops_budget_paused",
      help: "1 when a budget's limit holds new chats with its bots",
      labelNames: ["scope", "name", "window", "bot"] as const,
      registers,
    }),
    sessionMessages: new Counter({
      name: "clawops_session_messages_total",
      help: "Transcript messages clawops ingested, by bot and role",
      labelNames: ["bot", "role"] as const,
      registers,
    }),
    sessionErrors: new Counter({
      name: "clawops_session_message_errors_total",
      help: "Ingested messages that are a failed turn or tool result, by bot and reason (provider_key_missing, other)",
      labelNames: ["bot", "reason"] as const,
      registers,
    }),
  };
}

export type FleetMetrics = ReturnType<typeof createFleetMetrics>;

/** The gateway's own words when a provider has no credential ("No API key found for provider ..."). */
const KEY_MISSING =
  /no api key found|missing-provider-auth|missing api key|api key (?:is )?(?:missing|not set)/i;

/** Which error a failed message is, for the `reason` label. */
export function resolveErrorReason(preview: string): "provider_key_missing" | "other" {
  return KEY_MISSING.test(preview) ? "provider_key_missing" : "other";
}

/** Counts what the event bus says: crashes, crash loops, repairs, messages and their errors. */
export function countFleetEvent(
  metrics: FleetMetrics,
  event: BusEvent,
  botName: (id: string) => string | null | undefined,
): void {
  if (!event.botId) return;
  const bot = botName(event.botId) ?? event.botId;
  switch (event.type) {
    case "gateway.state":
      if (event.data.to === "crashed") metrics.gatewayCrashes.inc({ bot });
      break;
    case "gateway.crash_loop":
      metrics.gatewayCrashLoops.inc({ bot });
      break;
    case "repair.finished": {
      const { outcome, tier, trigger } = event.data;
      metrics.repairs.inc({ bot, outcome, tier: String(tier), trigger });
      break;
    }
    case "session.message": {
      metrics.sessionMessages.inc({ bot, role: event.data.role });
      // Zero-valued series for both reasons, so an error ratio has a numerator from the start.
      const reason = event.data.isError ? resolveErrorReason(event.data.preview) : null;
      for (const r of ["provider_key_missing", "other"] as const)
        metrics.sessionErrors.inc({ bot, reason: r }, r === reason ? 1 : 0);
      break;
    }
    default:
      break;
  }
}

/** Each bot's gateway state, liveness, readiness and desired state, from the supervisor's instances. */
export function recordGatewayStates(
  metrics: FleetMetrics,
  bots: readonly Bot[],
  gateways: readonly GatewayInstance[],
): void {
  const byBot = new Map(gateways.map((g) => [g.botId, g]));
  for (const gauge of [
    metrics.gatewayState,
    metrics.gatewayUp,
    metrics.gatewayReady,
    metrics.gatewayDesiredUp,
  ])
    gauge.reset();
  for (const bot of bots) {
    const state = byBot.get(bot.id)?.state ?? "stopped";
    for (const s of GATEWAY_STATES)
      metrics.gatewayState.set({ bot: bot.name, state: s }, s === state ? 1 : 0);
    const live = state === "running" || state === "degraded";
    metrics.gatewayUp.set({ bot: bot.name }, live ? 1 : 0);
    metrics.gatewayReady.set({ bot: bot.name }, state === "running" ? 1 : 0);
    metrics.gatewayDesiredUp.set({ bot: bot.name }, bot.desiredState === "running" ? 1 : 0);
    // Zero-valued from the start, so `increase()` sees a bot's first crash too.
    metrics.gatewayCrashes.inc({ bot: bot.name }, 0);
    metrics.gatewayCrashLoops.inc({ bot: bot.name }, 0);
  }
}

/** The repair budget and pauses of every bot, from `RepairService.status()`. */
export function recordRepairStatus(
  metrics: FleetMetrics,
  status: RepairStatus,
  bots: readonly Bot[],
): void {
  metrics.repairEnabled.set(status.enabled ? 1 : 0);
  metrics.repairBudgetRemaining.reset();
  metrics.repairPaused.reset();
  const fleetPaused = status.pauses.some((p) => p.botId === null);
  const pausedIds = new Set(status.pauses.map((p) => p.botId));
  const ids = new Map(bots.map((b) => [b.name, b.id]));
  for (const budget of status.budgets) {
    metrics.repairBudgetRemaining.set({ bot: budget.bot }, budget.remaining);
    const paused = fleetPaused || pausedIds.has(ids.get(budget.bot) ?? "");
    metrics.repairPaused.set({ bot: budget.bot }, paused ? 1 : 0);
  }
}

/** A notifier's running totals, as `NotificationHub.health()` gives them. */
export interface NotifierTotals {
  name: string;
  type: string;
  sent: number;
  failed: number;
  dropped: number;
}

/**
 * Turns the notifiers' running totals into counters: each call adds what
 * grew since the last (`seen` keeps the last totals between calls).
 */
export function recordNotifierTotals(
  metrics: FleetMetrics,
  totals: readonly NotifierTotals[],
  seen: Map<string, NotifierTotals>,
): void {
  for (const now of totals) {
    const key = `${now.type}\u0000${now.name}`;
    const before = seen.get(key);
    const labels = { notifier: now.name, type: now.type };
    metrics.notifierSent.inc(labels, Math.max(0, now.sent - (before?.sent ?? 0)));
    metrics.notifierFailed.inc(labels, Math.max(0, now.failed - (before?.failed ?? 0)));
    metrics.notifierDropped.inc(labels, Math.max(0, now.dropped - (before?.dropped ?? 0)));
    seen.set(key, { ...now });
  }
}

/** One budget window's usage, as `BudgetService.status()` gives it. */
export interface BudgetUsage {
  scope: "bot" | "owner";
  name: string;
  window: string;
  spentUsd: number;
  limitUsd: number;
  paused: boolean;
}

/** Every budget window's spend over its limit, and whether it holds chats. */
export function recordBudgetUsage(metrics: FleetMetrics, budgets: readonly BudgetUsage[]): void {
  metrics.budgetUsage.reset();
  metrics.budgetPaused.reset();
  for (const b of budgets) {
    const labels = {
      scope: b.scope,
      name: b.name,
      window: b.window,
      ...(b.scope === "bot" ? { bot: b.name } : {}),
    };
    metrics.budgetUsage.set(labels, b.limitUsd > 0 ? b.spentUsd / b.limitUsd : 0);
    metrics.budgetPaused.set(labels, b.paused ? 1 : 0);
  }
}
