import type { Bot } from "../core/bot.js";
import type { BudgetScope } from "../core/budget.js";
import type { SessionStore } from "../store/session-store.js";
import { periodStart } from "./evaluate.js";

/** One bot's spend in the current UTC day and month, US dollars. */
export interface BotSpend {
  day: number;
  month: number;
}

/**
 * Spend per bot in the current UTC day and month, summed from the stored
 * messages (`costBy`), cheap enough to read every few seconds for a fleet:
 * today's is read afresh (one range scan over today's messages, all bots at
 * once), each earlier day of the month once and then kept, until a message
 * dated on it is stored (a catch-up after clawops was down). Reading day by
 * day also keeps each query short: SQLite's run on the daemon's thread.
 */
export class SpendReader {
  /** By UTC day (`YYYY-MM-DD`), earlier days of the current month: spend by bot id. */
  private readonly days = new Map<string, Map<string, number>>();
  /** Counts invalidations, so that a read in flight does not keep a sum a late message made stale. */
  private generation = 0;
  /** How many earlier days the last `read` had to read (0 once they are kept). */
  daysRead = 0;

  constructor(private readonly sessions: SessionStore) {}

  /** A message dated `at` (ISO 8601) was stored: its day is read again when it is an earlier one. */
  noteMessage(at: string, nowMs: number): void {
    const ms = Date.parse(at);
    if (Number.isNaN(ms) || ms >= Date.parse(periodStart("day", nowMs))) return;
    this.days.delete(new Date(ms).toISOString().slice(0, 10));
    this.generation += 1;
  }

  /** By bot id; bots without spend are absent. */
  async read(nowMs: number): Promise<Map<string, BotSpend>> {
    const today = periodStart("day", nowMs);
    const spend = new Map<string, BotSpend>();
    for (const [botId, usd] of await this.earlierDays(periodStart("month", nowMs), today))
      spend.set(botId, { day: 0, month: usd });
    for (const row of await this.sessions.costBy("bot", { since: today })) {
      if (row.key === null) continue;
      const before = spend.get(row.key)?.month ?? 0;
      spend.set(row.key, { day: row.costUsd, month: before + row.costUsd });
    }
    return spend;
  }

  /** The month's days before today, summed by bot. */
  private async earlierDays(month: string, today: string): Promise<Map<string, number>> {
    for (const day of this.days.keys()) if (day < month.slice(0, 10)) this.days.delete(day);
    const sum = new Map<string, number>();
    this.daysRead = 0;
    for (let start = month; start < today; start = nextDay(start)) {
      const byBot = this.days.get(start.slice(0, 10)) ?? (await this.readDay(start));
      for (const [botId, usd] of byBot) sum.set(botId, (sum.get(botId) ?? 0) + usd);
    }
    return sum;
  }

  private async readDay(start: string): Promise<Map<string, number>> {
    const generation = this.generation;
    this.daysRead += 1;
    const byBot = new Map<string, number>();
    for (const row of await this.sessions.costBy("bot", { since: start, until: nextDay(start) }))
      if (row.key !== null) byBot.set(row.key, row.costUsd);
    if (generation === this.generation) this.days.set(start.slice(0, 10), byBot);
    return byBot;
  }
}

/** The ISO 8601 start of the UTC day after the one starting at `start`. */
function nextDay(start: string): string {
  return new Date(Date.parse(start) + 86_400_000).toISOString();
}

/** The registered bots a budget covers: the bot of that name, or every bot of that owner. */
export function botsOf(bots: readonly Bot[], scope: BudgetScope, name: string): Bot[] {
  return bots.filter((b) => (scope === "bot" ? b.name === name : b.owner === name));
}

/** A budget's spend: its bots' spend in the window, summed. */
export function spendOf(
  spend: ReadonlyMap<string, BotSpend>,
  bots: readonly Bot[],
  window: keyof BotSpend,
): number {
  return bots.reduce((sum, b) => sum + (spend.get(b.id)?.[window] ?? 0), 0);
}
