import type { Bot } from "../../src/core/bot.js";
import type { GatewayInstance } from "../../src/core/gateway-state.js";
import type { BotHealth, FleetHealth } from "../../src/fleet/health.js";

/** `GET /api/v1/status`, the parts the fleet page reads. */
export interface FleetStatus {
  daemon: { version: string; uptimeMs: number; store: { dialect: string } };
  readiness: { ready: boolean };
  bots: Bot[];
  gateways: (GatewayInstance & { bot: string })[];
  /** Absent from answers of daemons before hosts (and in tests that need none). */
  hosts?: { id: string; reachable: boolean }[];
  fleet?: { bot: string; host: string | null; state: string }[];
}

/** What an operator needs to know first, worst first. */
export const VERDICTS = ["down", "degraded", "changing", "up", "off"] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface FleetRow {
  bot: Bot;
  gateway: GatewayInstance | null;
  verdict: Verdict;
  /** Its health over the last 24 h (`GET /fleet/health`), once read. */
  health: BotHealth | null;
  /** Its host stopped reporting: its gateway's last state is not news. */
  hostLost: boolean;
}

/**
 * One row per bot with its verdict: down (failed, crashed, backing off, or
 * stopped although it should run), degraded (running but not ready),
 * changing (starting, stopping), up, off (stopped on purpose). Sorted worst
 * first, then by name. Never "up" for a gateway clawops has no live record of.
 */
export function fleetRows(status: FleetStatus, health?: FleetHealth): FleetRow[] {
  const gateways = new Map(status.gateways.map((g) => [g.botId, g]));
  const healthOf = new Map(health?.bots.map((h) => [h.bot, h]));
  const lost = new Set(
    status.fleet?.filter((f) => f.state === "host unreachable").map((f) => f.bot),
  );
  const rows = status.bots.map((bot) => {
    const gateway = gateways.get(bot.id) ?? null;
    const hostLost = lost.has(bot.name);
    return {
      bot,
      gateway,
      verdict: hostLost ? ("down" as const) : verdictOf(bot, gateway),
      health: healthOf.get(bot.name) ?? null,
      hostLost,
    };
  });
  return sortRows(rows, "problems");
}

/** The orders the fleet table offers; `problems`: worst verdict, then lowest score, then name. */
export const SORTS = [
  "problems",
  "name",
  "health",
  "uptime",
  "restarts",
  "memory",
  "cost",
  "repairs",
] as const;
export type SortKey = (typeof SORTS)[number];

/**
 * `rows` in `key`'s order, the worst first (the lowest score and uptime; the
 * most restarts, memory, spend and open repairs), rows without the figure
 * last, names breaking ties; `reverse` turns it round.
 */
export function sortRows(rows: readonly FleetRow[], key: SortKey, reverse = false): FleetRow[] {
  const figure: Record<Exclude<SortKey, "problems" | "name">, (r: FleetRow) => number | null> = {
    health: (r) => ((r.health?.score ?? null) === null ? null : -r.health!.score!),
    uptime: (r) => ((r.health?.uptime ?? null) === null ? null : -r.health!.uptime!),
    restarts: (r) => r.health?.restarts ?? null,
    memory: (r) => r.gateway?.rssBytes ?? null,
    cost: (r) => r.health?.costTodayUsd ?? null,
    repairs: (r) => r.health?.openRepairs ?? null,
  };
  const byName = (a: FleetRow, b: FleetRow) => a.bot.name.localeCompare(b.bot.name);
  const compare = (a: FleetRow, b: FleetRow): number => {
    if (key === "name") return byName(a, b);
    if (key === "problems")
      return (
        VERDICTS.indexOf(a.verdict) - VERDICTS.indexOf(b.verdict) ||
        (a.health?.score ?? 101) - (b.health?.score ?? 101) ||
        byName(a, b)
      );
    const [x, y] = [figure[key](a), figure[key](b)];
    if (x === null || y === null)
      return (x === null ? 1 : 0) - (y === null ? 1 : 0) || byName(a, b);
    return y - x || byName(a, b);
  };
  const sorted = [...rows].sort(compare);
  return reverse ? sorted.reverse() : sorted;
}

/** An SVG polyline's points for `samples` in a `width` x `height` box, the lowest reading at the bottom. */
export function sparkline(samples: readonly number[], width: number, height: number): string {
  if (samples.length < 2) return "";
  const low = Math.min(...samples);
  const span = Math.max(...samples) - low || 1;
  const step = width / (samples.length - 1);
  return samples
    .map((v, i) => `${round(i * step)},${round(height - 1 - ((v - low) / span) * (height - 2))}`)
    .join(" ");
}

const round = (n: number) => Math.round(n * 10) / 10;

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

/** Rows whose name, state, reason, version, host or labels contain `query` (case-insensitive). */
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
      bot.host ?? undefined,
      ...Object.entries(bot.labels).map(([k, v]) => `${k}=${v}`),
    ].some((field) => field?.toLowerCase().includes(q)),
  );
}
