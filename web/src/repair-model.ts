import type { Bot } from "../../src/core/bot.js";
import type { RepairPause, RepairStatus } from "../../src/core/repair.js";
import { since } from "./format.js";

/** One bot's line on the repairs page: its automatic-repair budget now and its pause. */
export interface BudgetRow {
  bot: string;
  /** Automatic repairs counted in the current hour, and how many the budget allows. */
  used: number;
  limit: number;
  /** ISO 8601 end of the cooldown, null when none. */
  cooldownUntil: string | null;
  repairing: boolean;
  /** The bot's own pause; the fleet-wide one is `RepairView.fleetPause`. */
  pause: RepairPause | null;
}

export interface RepairView {
  rows: BudgetRow[];
  fleetPause: RepairPause | null;
}

/**
 * The repairs page from `GET /api/v1/repairs/status` and the fleet's bots
 * (pauses name a bot by id): paused and cooling-down bots first, then by name.
 */
export function repairView(status: RepairStatus, bots: readonly Pick<Bot, "id" | "name">[]) {
  const names = new Map(bots.map((bot) => [bot.id, bot.name]));
  const pauses = new Map<string, RepairPause>();
  let fleetPause: RepairPause | null = null;
  for (const pause of status.pauses) {
    if (pause.botId === null) fleetPause = pause;
    else {
      const name = names.get(pause.botId);
      if (name) pauses.set(name, pause);
    }
  }
  const limit = status.budget.maxPerHour;
  const rows = status.budgets.map((b): BudgetRow => ({
    bot: b.bot,
    used: b.cooldownUntil ? limit : Math.max(0, limit - b.remaining),
    limit,
    cooldownUntil: b.cooldownUntil,
    repairing: b.repairing,
    pause: pauses.get(b.bot) ?? null,
  }));
  const rank = (row: BudgetRow) => (row.pause ? 0 : row.cooldownUntil ? 1 : 2);
  rows.sort((a, b) => rank(a) - rank(b) || a.bot.localeCompare(b.bot));
  return { rows, fleetPause } satisfies RepairView;
}

/** "until 14:05 (23m left)", or a dash without a cooldown. */
export function cooldownText(until: string | null, now: number): string {
  if (!until) return "–";
  const left = Math.max(0, Date.parse(until) - now);
  const time = new Date(until).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return `until ${time} (${since(new Date(now - left).toISOString(), now)} left)`;
}

/** "2 h" / "30 min" / "45 s": a policy's duration in words. */
export function durationText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** Who paused, as people read it: `user:ada#<request id>` is `user:ada`. */
export function actorText(by: string): string {
  return by.replace(/#.*$/, "");
}
