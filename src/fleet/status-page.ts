import { z } from "zod";
import type { Bot } from "../core/bot.js";
import type { GatewayState } from "../core/gateway-state.js";
import type { Store } from "../store/store.js";
import {
  type PublicStatus,
  publicStatusOf,
  stateChanges,
  stateSpans,
  timeIn,
  uptimeOf,
} from "./health.js";

/** The `statusPages` section of clawops.yaml: which organisations publish a page, and its title. */
export const statusPagesConfigSchema = z
  .record(
    z.string().min(1),
    z.strictObject({
      /** Shown as the page's heading; the organisation's name by default. */
      title: z.string().min(1).max(100).optional(),
    }),
  )
  .default({});
export type StatusPagesConfig = z.output<typeof statusPagesConfigSchema>;

export interface StatusDay {
  /** The UTC day, `YYYY-MM-DD`. */
  date: string;
  /** The worst that lasted: down, degraded, up; off when it was not meant to run at all. */
  status: PublicStatus;
}

export interface StatusPageBot {
  name: string;
  status: PublicStatus;
  /** Share of the time it was meant to run that it answered (up or degraded), over the days shown; null without such time. */
  uptime: number | null;
  days: StatusDay[];
}

export interface StatusPage {
  title: string;
  generatedAt: string;
  /** The worst status among the bots that run. */
  overall: PublicStatus;
  bots: StatusPageBot[];
}

export const STATUS_DAYS = 30;
const DAY_MS = 86_400_000;
/** Shorter troubles do not colour a day: a restart takes seconds. */
const NOTICEABLE_MS = 5 * 60_000;

/**
 * A bot's days from its state changes (oldest first) in a window of `days`
 * UTC days ending today: each day the worst that lasted five minutes or more
 * (down, else degraded, else up), off when it never was meant to run. Pure.
 */
export function statusDays(
  changes: readonly { at: number; to: GatewayState }[],
  before: GatewayState,
  now: number,
  days = STATUS_DAYS,
): { days: StatusDay[]; uptime: number | null } {
  const firstDay = Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
  const spans = stateSpans(changes, before, firstDay, now);
  const result: StatusDay[] = [];
  for (let day = firstDay; day <= now; day += DAY_MS)
    result.push({
      date: new Date(day).toISOString().slice(0, 10),
      status: worst(timeIn(spans, day, day + DAY_MS)),
    });
  return { days: result, uptime: uptimeOf(timeIn(spans)) };
}

function worst(time: Map<PublicStatus, number>): PublicStatus {
  if ((time.get("down") ?? 0) >= NOTICEABLE_MS) return "down";
  if ((time.get("degraded") ?? 0) >= NOTICEABLE_MS) return "degraded";
  if ((time.get("up") ?? 0) > 0) return "up";
  return (time.get("down") ?? 0) > 0
    ? "down"
    : (time.get("degraded") ?? 0) > 0
      ? "degraded"
      : "off";
}

/**
 * An organisation's public page: each bot's name, status now and days, and
 * nothing else (no port, pid, reason, path or cost: reasons can name files).
 */
export async function buildStatusPage(deps: {
  store: Store;
  org: string;
  title: string;
  instances: () => Promise<{ botId: string; state: GatewayState }[]>;
  now?: number;
}): Promise<StatusPage> {
  const now = deps.now ?? Date.now();
  const since = new Date(
    Math.floor(now / DAY_MS) * DAY_MS - (STATUS_DAYS - 1) * DAY_MS,
  ).toISOString();
  // The organisation's state changes in one paged read, not a query per bot.
  const [bots, instances, changes] = await Promise.all([
    deps.store.listBots({ org: deps.org }),
    deps.instances(),
    stateChanges(deps.store, { org: deps.org, since }),
  ]);
  const page = bots.map((bot: Bot): StatusPageBot => {
    const mine = changes.byBot.get(bot.id) ?? [];
    const current = instances.find((i) => i.botId === bot.id)?.state ?? "stopped";
    const history = statusDays(mine, mine[0]?.from ?? current, now);
    return { name: bot.name, status: publicStatusOf(current), ...history };
  });
  const running = page.filter((b) => b.status !== "off");
  const overall = running.some((b) => b.status === "down")
    ? "down"
    : running.some((b) => b.status === "degraded")
      ? "degraded"
      : running.length > 0
        ? "up"
        : "off";
  return {
    title: deps.title,
    generatedAt: new Date(now).toISOString(),
    overall,
    bots: page.sort((a, b) => a.name.localeCompare(b.name)),
  };
}
