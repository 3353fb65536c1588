import type { Bot } from "../../src/core/bot.js";
import type { GatewayInstance } from "../../src/core/gateway-state.js";

/** `GET /api/v1/status`, the parts the fleet page reads. */
export interface FleetStatus {
  daemon: { version: string; uptimeMs: number; store: { dialect: string } };
  readiness: { ready: boolean };
  bots: Bot[];
  gateways: (GatewayInstance & { bot: string })[];
}

/** What an operator needs to know first, worst first. */
export const VERDICTS = ["down", "degraded", "changing", "up", "off"] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface FleetRow {
  bot: Bot;
  gateway: GatewayInstance | null;
  verdict: Verdict;
}

/**
 * One row per bot with its verdict: down (failed, crashed, backing off, or
 * stopped although it should run), degraded (running but not ready),
 * changing (starting, stopping), up, off (stopped on purpose). Sorted worst
 * first, then by name. Never "up" for a gateway clawops has no live record of.
 */
export function fleetRows(status: FleetStatus): FleetRow[] {
  const gateways = new Map(status.gateways.map((g) => [g.botId, g]));
  return status.bots
    .map((bot) => {
      const gateway = gateways.get(bot.id) ?? null;
      return { bot, gateway, verdict: verdictOf(bot, gateway) };
    })
    .sort(
      (a, b) =>
        VERDICTS.indexOf(a.verdict) - VERDICTS.indexOf(b.verdict) ||
        a.bot.name.localeCompare(b.bot.name),
    );
}

export function verdictOf(bot: Bot, gateway: GatewayInstance | null): Verdict {
  const state = gateway?.state ?? "stopped";
  switch (state) {
    case "failed":
    case "crashed":
    case "backoff":
      return "down";
    case "degraded":
      return "degraded";
    case "starting":
    case "stopping":
      return "changing";
    case "running":
      return gateway?.ready === false ? "degraded" : "up";
    case "stopped":
      return bot.desiredState === "running" ? "down" : "off";
  }
}

/** Rows whose name, state, reason, version or labels contain `query` (case-insensitive). */
export function matching(rows: FleetRow[], query: string): FleetRow[] {
  const q = query.trim().toLowerCase();
  if (!q) return rows;
  return rows.filter(({ bot, gateway, verdict }) =>
    [
      bot.name,
      verdict,
      gateway?.state,
      gateway?.reason,
      gateway?.version,
      ...Object.entries(bot.labels).map(([k, v]) => `${k}=${v}`),
    ].some((field) => field?.toLowerCase().includes(q)),
  );
}
