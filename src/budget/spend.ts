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
 * once), while the sum of the month's earlier days is kept until a new day
 * begins or a message dated on one of them is stored (a catch-up after
 * clawops was down), so a month's history is not summed again and again.
 */
export class SpendReader {
  private earlier: { key: string; byBot: Map<string, number> } | null = null;
  /** Counts invalidations, so that a read in flight does not keep a sum a late message made stale. */
  private generation = 0;

  constructor(private readonly sessions: SessionStore) {}

  /** A message dated `at` (ISO 8601) was stored: the month's earlier days are read again when it falls in them. */
  noteMessage(at: string, nowMs: number): void {
    if (Date.parse(at) >= Date.parse(periodStart("day", nowMs))) return;
    this.earlier = null;
    this.generation += 1;
  }

  /** By bot id; bots without spend are absent. */
  async read(nowMs: number): Promise<Map<string, BotSpend>> {
    const day = periodStart("day", nowMs);
    const month = periodStart("month", nowMs);
    const earlier = await this.earlierDays(month, day);
    const today = await this.sessions.costBy("bot", { since: day });
    const spend = new Map<string, BotSpend>();
    for (const [botId, usd] of earlier) spend.set(botId, { day: 0, month: usd });
    for (const row of today) {
      if (row.key === null) continue;
      const before = spend.get(row.key)?.month ?? 0;
      spend.set(row.key, { day: row.costUsd, month: before + row.costUsd });
    }
    return spend;
  }

  private async earlierDays(month: string, day: string): Promise<Map<string, number>> {
    const key = `${month}/${day}`;
    if (this.earlier?.key === key) return this.earlier.byBot;
    const generation = this.generation;
    const byBot = new Map<string, number>();
    if (month !== day) {
      for (const row of await this.sessions.costBy("bot", { since: month, until: day }))
        if (row.key !== null) byBot.set(row.key, row.costUsd);
    }
    if (generation === this.generation) this.earlier = { key, byBot };
    return byBot;
  }
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
