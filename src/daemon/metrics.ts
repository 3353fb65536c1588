import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { createFleetMetrics } from "./fleet-metrics.js";

/** clawops's own Prometheus metrics, on a registry of its own (no global state). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "clawops_" });
  return {
    registry,
    /** What the monitoring pack's alerts and dashboards read (deploy/monitoring/). */
    fleet: createFleetMetrics(registry),
    httpRequests: new Counter({
      name: "clawops_http_requests_total",
      help: "HTTP requests served, by method, route and status code",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "clawops_http_request_duration_seconds",
      help: "HTTP request duration",
      labelNames: ["method", "route"] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    bots: new Gauge({
      name: "clawops_bots",
      help: "Registered bots by desired state",
      labelNames: ["desired_state"] as const,
      registers: [registry],
    }),
    leader: new Gauge({
      name: "clawops_leader",
      help: "1 while this daemon leads the fleet (runs its singletons, docs/hosts.md), else 0",
      labelNames: ["host"] as const,
      registers: [registry],
    }),
    eventsPending: new Gauge({
      name: "clawops_events_pending",
      help: "Events queued but not yet persisted",
      registers: [registry],
    }),
    eventsWritten: new Counter({
      name: "clawops_events_written_total",
      help: "Events persisted to the store",
      registers: [registry],
    }),
    storePing: new Histogram({
      name: "clawops_store_ping_seconds",
      help: "Round trip of the store's self-check query",
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2],
      registers: [registry],
    }),
    gateways: new Gauge({
      name: "clawops_gateways",
      help: "Supervised gateways by state",
      labelNames: ["state"] as const,
      registers: [registry],
    }),
    gatewayRestarts: new Gauge({
      name: "clawops_gateway_restarts",
      help: "Restarts of each bot's gateway since it was registered",
      labelNames: ["bot"] as const,
      registers: [registry],
    }),
    gatewayRss: new Gauge({
      name: "clawops_gateway_rss_bytes",
      help: "Resident memory of each bot's gateway process at its last check",
      labelNames: ["bot"] as const,
      registers: [registry],
    }),
    canaryLatency: new Histogram({
      name: "clawops_canary_latency_seconds",
      help: "Round trip of the canary's passing chat turns (supervisor.checks.canary), by bot",
      labelNames: ["bot"] as const,
      buckets: [0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120],
      registers: [registry],
    }),
    canaryRuns: new Counter({
      name: "clawops_canary_runs_total",
      help: "Canary runs by bot and outcome (pass, fail, skipped)",
      labelNames: ["bot", "outcome"] as const,
      registers: [registry],
    }),
    up: new Gauge({
      name: "clawops_ready",
      help: "1 when the daemon's last self-check found every part ready",
      registers: [registry],
    }),
    realtimeConnections: new Gauge({
      name: "clawops_realtime_connections",
      help: "Open realtime connections, by transport (ws, sse)",
      labelNames: ["transport"] as const,
      registers: [registry],
    }),
    realtimeClosed: new Counter({
      name: "clawops_realtime_closed_total",
      help: "Realtime connections the daemon ended, by reason (slow, dead, rate, revoked, expired, shutdown)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    realtimeFrames: new Counter({
      name: "clawops_realtime_frames_total",
      help: "Event and notification frames handed to realtime connections",
      registers: [registry],
    }),
    // Named after OpenClaw's own OpenTelemetry metrics (openclaw.tokens, openclaw.cost.usd),
    // counted from the messages clawops ingests: the same meaning, per bot.
    tokens: new Counter({
      name: "openclaw_tokens_total",
      help: "Tokens of the messages clawops ingested, by bot, provider, model and kind (input, output, cache_read, cache_write)",
      labelNames: ["bot", "provider", "model", "token"] as const,
      registers: [registry],
    }),
    cost: new Counter({
      name: "openclaw_cost_usd_total",
      help: "Cost in US dollars of the messages clawops ingested, by bot, provider and model",
      labelNames: ["bot", "provider", "model"] as const,
      registers: [registry],
    }),
  };
}

/** Counts a newly stored message's tokens and cost (`model` is `provider/model`). */
export function countUsage(
  metrics: Metrics,
  bot: string,
  model: string | null,
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number },
  costUsd: number,
): void {
  const slash = model?.indexOf("/") ?? -1;
  const labels = {
    bot,
    provider: model && slash > 0 ? model.slice(0, slash) : "",
    model: model && slash > 0 ? model.slice(slash + 1) : (model ?? ""),
  };
  const kinds = [
    ["input", tokens.input],
    ["output", tokens.output],
    ["cache_read", tokens.cacheRead],
    ["cache_write", tokens.cacheWrite],
  ] as const;
  for (const [token, count] of kinds)
    if (count > 0) metrics.tokens.inc({ ...labels, token }, count);
  if (costUsd > 0) metrics.cost.inc(labels, costUsd);
}

export type Metrics = ReturnType<typeof createMetrics>;
