import type { GatewayState } from "../core/gateway-state.js";
import type { OpsEvent } from "../core/events.js";
import type { RepairRecord } from "../core/repair.js";
import type { Store } from "../store/store.js";

/**
 * A bot's health over a window (docs/dashboard.md "Health"): how long it
 * answered of the time it was meant to run, its restarts and crashes, the
 * share of its messages that failed, its repairs, its spend today and its
 * memory curve, summed into one score. Read from the store alone, so every
 * host's daemon answers the same for the whole fleet.
 */

/** What a status page or a timeline says of a bot, now or for a stretch of time. */
export const PUBLIC_STATUSES = ["up", "degraded", "down", "off"] as const;
export type PublicStatus = (typeof PUBLIC_STATUSES)[number];

/** How a supervisor state reads on a public page and in a timeline. */
export function publicStatusOf(state: GatewayState): PublicStatus {
  if (state === "running") return "up";
  if (state === "degraded" || state === "starting" || state === "stopping") return "degraded";
  if (state === "stopped") return "off";
  return "down";
}

export const HEALTH_WINDOWS = { "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 };
export type HealthWindow = keyof typeof HEALTH_WINDOWS;

/** A supervisor state change, as `gateway.state` events record it. */
export interface StateChange {
  at: number;
  from: GatewayState;
  to: GatewayState;
}

/** A stretch of time in one public status. */
export interface StateSpan {
  start: number;
  end: number;
  status: PublicStatus;
}

/**
 * The spans of [start, end) from a bot's state changes (oldest first; those
 * before `start` only set the state it begins in, `before` otherwise), each
 * in the public status of its state, neighbours of one status merged. Pure.
 */
export function stateSpans(
  changes: readonly { at: number; to: GatewayState }[],
  before: GatewayState,
  start: number,
  end: number,
): StateSpan[] {
  const spans: StateSpan[] = [];
  const push = (from: number, to: number, status: PublicStatus) => {
    if (to <= from) return;
    const last = spans.at(-1);
    if (last && last.status === status && last.end === from) last.end = to;
    else spans.push({ start: from, end: to, status });
  };
  let state = before;
  let from = start;
  for (const change of changes) {
    if (change.at >= end) break;
    if (change.at > from) {
      push(from, change.at, publicStatusOf(state));
      from = change.at;
    }
    state = change.to;
  }
  push(from, end, publicStatusOf(state));
  return spans;
}

/** Milliseconds in each status, over the spans that overlap [start, end). */
export function timeIn(
  spans: readonly StateSpan[],
  start = -Infinity,
  end = Infinity,
): Map<PublicStatus, number> {
  const time = new Map<PublicStatus, number>();
  for (const span of spans) {
    const ms = Math.min(span.end, end) - Math.max(span.start, start);
    if (ms > 0) time.set(span.status, (time.get(span.status) ?? 0) + ms);
  }
  return time;
}

/** Share of the time meant to run (not off) that it answered (up or degraded); null without such time. */
export function uptimeOf(time: Map<PublicStatus, number>): number | null {
  const meant = [...time].filter(([s]) => s !== "off").reduce((n, [, ms]) => n + ms, 0);
  const answered = (time.get("up") ?? 0) + (time.get("degraded") ?? 0);
  return meant > 0 ? answered / meant : null;
}

/** The share of failed messages at which a bot gets no error points (the high-error-rate alert's). */
export const ERROR_RATE_LIMIT = 0.1;
/** Uptime at or below which a bot gets no uptime points: 90 % of a day is 2.4 hours down. */
export const UPTIME_FLOOR = 0.9;
/** Repairs in the window at which a bot gets no repair points. */
export const REPAIRS_LIMIT = 3;

/**
 * 0-100: 60 points for uptime (linear from UPTIME_FLOOR to 100 %), 25 for
 * failed messages (linear from ERROR_RATE_LIMIT to none; all without
 * messages), 15 for repairs (linear from REPAIRS_LIMIT to none). Null when
 * the bot was never meant to run in the window. Pure.
 */
export function healthScore(h: {
  uptime: number | null;
  errorRate: number | null;
  repairs: number;
}): number | null {
  if (h.uptime === null) return null;
  const share = (x: number) => Math.min(Math.max(x, 0), 1);
  const uptime = share((h.uptime - UPTIME_FLOOR) / (1 - UPTIME_FLOOR));
  const errors = h.errorRate === null ? 1 : share(1 - h.errorRate / ERROR_RATE_LIMIT);
  const repairs = share(1 - h.repairs / REPAIRS_LIMIT);
  return Math.round(60 * uptime + 25 * errors + 15 * repairs);
}

export interface BotHealth {
  bot: string;
  host: string | null;
  score: number | null;
  /** See uptimeOf, over the window. */
  uptime: number | null;
  /** Starts that followed a running, failed or crashed process (not a start from stopped). */
  restarts: number;
  crashes: number;
  messages: number;
  errors: number;
  /** errors / messages; null without messages. */
  errorRate: number | null;
  /** Repairs that acted (not skipped, not dry runs) in the window. */
  repairs: number;
  /** Running repairs, and escalated ones since the bot's last recovery: a human is needed. */
  openRepairs: number;
  /** Since 00:00 UTC. */
  costTodayUsd: number;
  /** Resident memory readings, oldest first. */
  rssSamples: number[];
  /** With one bot asked for: its spans over the window, for a timeline strip. */
  spans?: StateSpan[];
}

export interface FleetHealth {
  window: HealthWindow;
  since: string;
  generatedAt: string;
  /** More state changes than MAX_STATE_EVENTS (a crash-looping fleet): the latest were left out. */
  truncated: boolean;
  bots: BotHealth[];
}

/** State-change events read at most (in pages of 1,000) for one answer. */
const MAX_STATE_EVENTS = 100_000;
const PAGE = 1_000;

export async function buildFleetHealth(deps: {
  store: Store;
  /** Only this organisation's bots. */
  org?: string;
  window: HealthWindow;
  /** Only this bot (by id), with its spans. */
  botId?: string;
  instances: () => Promise<{ botId: string; state: GatewayState; rssSamples: number[] }[]>;
  now?: number;
}): Promise<FleetHealth> {
  const now = deps.now ?? Date.now();
  const sinceMs = now - HEALTH_WINDOWS[deps.window];
  const since = new Date(sinceMs).toISOString();
  const today = new Date(Math.floor(now / 86_400_000) * 86_400_000).toISOString();
  const scope = { org: deps.org, botId: deps.botId };
  const [bots, instances, changes, repairs, counts, cost] = await Promise.all([
    deps.store.listBots({ org: deps.org }),
    deps.instances(),
    stateChanges(deps.store, { ...scope, since }),
    deps.store.listRepairs({ ...scope, since, limit: 1000 }),
    deps.store.sessions.messageCounts({ ...scope, since }),
    deps.store.sessions.costBy("bot", { ...scope, since: today }),
  ]);
  const live = new Map(instances.map((i) => [i.botId, i]));
  const repairsOf = new Map<string, RepairRecord[]>();
  for (const r of repairs) {
    const list = repairsOf.get(r.botId) ?? [];
    list.push(r);
    repairsOf.set(r.botId, list);
  }
  const countOf = new Map(counts.map((c) => [c.botId, c]));
  const costOf = new Map(cost.map((c) => [c.key, c.costUsd]));
  const health = bots
    .filter((bot) => deps.botId === undefined || bot.id === deps.botId)
    .map((bot): BotHealth => {
      const mine = changes.byBot.get(bot.id) ?? [];
      const current = live.get(bot.id);
      // A bot registered inside the window: its strip begins with it.
      const start = Math.min(Math.max(sinceMs, Date.parse(bot.createdAt)), now);
      const spans = stateSpans(mine, mine[0]?.from ?? current?.state ?? "stopped", start, now);
      const uptime = uptimeOf(timeIn(spans));
      const { messages = 0, errors = 0 } = countOf.get(bot.id) ?? {};
      const errorRate = messages > 0 ? errors / messages : null;
      const botRepairs = repairsOf.get(bot.id) ?? [];
      const acted = botRepairs.filter((r) => !r.dryRun && r.outcome !== "skipped").length;
      return {
        bot: bot.name,
        host: bot.host ?? null,
        score: healthScore({ uptime, errorRate, repairs: acted }),
        uptime,
        restarts: mine.filter((c) => c.to === "starting" && c.from !== "stopped").length,
        crashes: mine.filter((c) => c.to === "crashed").length,
        messages,
        errors,
        errorRate,
        repairs: acted,
        openRepairs: openRepairs(botRepairs),
        costTodayUsd: costOf.get(bot.id) ?? 0,
        rssSamples: current?.rssSamples ?? [],
        ...(deps.botId === undefined ? {} : { spans }),
      };
    });
  return {
    window: deps.window,
    since,
    generatedAt: new Date(now).toISOString(),
    truncated: changes.truncated,
    bots: health,
  };
}

/** Repairs still needing attention, newest first until the last one that recovered. */
export function openRepairs(repairs: readonly RepairRecord[]): number {
  let open = 0;
  for (const r of [...repairs].sort((a, b) => b.startedAt.localeCompare(a.startedAt))) {
    if (r.outcome === "recovered") break;
    if (r.outcome === "running" || r.outcome === "escalated") open += 1;
  }
  return open;
}

/** Every `gateway.state` event since `since`, oldest first, per bot; paged, bounded. */
export async function stateChanges(
  store: Store,
  query: { org?: string; botId?: string; since: string },
): Promise<{ byBot: Map<string, StateChange[]>; truncated: boolean }> {
  const byBot = new Map<string, StateChange[]>();
  let afterId = 0;
  for (let read = 0; read < MAX_STATE_EVENTS; read += PAGE) {
    const page: OpsEvent[] = await store.listEvents({
      ...query,
      type: "gateway.state",
      afterId,
      limit: PAGE,
    });
    for (const event of page) {
      if (!event.botId) continue;
      const list = byBot.get(event.botId) ?? [];
      const data = event.data as { from: GatewayState; to: GatewayState };
      list.push({ at: Date.parse(event.ts), from: data.from, to: data.to });
      byBot.set(event.botId, list);
    }
    if (page.length < PAGE) return { byBot, truncated: false };
    afterId = page.at(-1)!.id;
  }
  return { byBot, truncated: true };
}
