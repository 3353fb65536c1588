import type { Bot } from "../core/bot.js";
import type { RepairPause, RepairRecord, RepairStats } from "../core/repair.js";
import type { EventBus } from "../events/bus.js";
import { requireBot } from "../fleet/registry.js";
import type { Store } from "../store/store.js";
import { type BudgetVerdict, checkBudget } from "./budget.js";
import type { RepairSettings } from "./settings.js";
import { computeRepairStats } from "./stats.js";

/**
 * What the store knows of repairs: the history and its statistics, the
 * pauses (maintenance mode), and each bot's budget, replayed from the history
 * (a restarted clawops keeps the same budget).
 */
export class RepairLedger {
  constructor(
    private readonly deps: {
      store: Store;
      bus: EventBus;
      settings: RepairSettings;
      now: () => number;
    },
  ) {}

  /** With `org`, that organisation's repairs only; its `bot` only (NOT_FOUND for another's). */
  async list(query: { bot?: string; limit?: number; org?: string } = {}): Promise<RepairRecord[]> {
    const { org } = query;
    const botId = query.bot ? (await requireBot(this.deps.store, query.bot, org)).id : undefined;
    return this.deps.store.listRepairs({
      ...(botId ? { botId } : {}),
      ...(org !== undefined ? { org } : {}),
      ...(query.limit ? { limit: query.limit } : {}),
    });
  }

  async stats(bot?: string, org?: string): Promise<RepairStats> {
    return computeRepairStats(
      await this.list({
        ...(bot ? { bot } : {}),
        ...(org !== undefined ? { org } : {}),
        limit: 1000,
      }),
    );
  }

  async pause(bot: string | null, actor: string, reason: string): Promise<RepairPause> {
    const botId = bot ? (await requireBot(this.deps.store, bot)).id : null;
    const pause = { botId, by: actor, reason, since: new Date(this.deps.now()).toISOString() };
    await this.deps.store.savePause(pause);
    this.deps.bus.publish({
      type: "repair.paused",
      botId,
      actor,
      data: { reason, scope: bot ?? "fleet" },
    });
    return pause;
  }

  async resume(bot: string | null, actor: string): Promise<boolean> {
    const botId = bot ? (await requireBot(this.deps.store, bot)).id : null;
    const lifted = await this.deps.store.removePause(botId);
    if (lifted)
      this.deps.bus.publish({
        type: "repair.resumed",
        botId,
        actor,
        data: { scope: bot ?? "fleet" },
      });
    return lifted;
  }

  /** Whether automatic repair is paused for the bot (or the fleet), and by whom. */
  async pausedBy(botId: string): Promise<RepairPause | null> {
    return pauseOf(await this.deps.store.listPauses(), botId);
  }

  /** Whether one more automatic repair of `bot` may start now. */
  async budget(bot: Bot): Promise<BudgetVerdict> {
    // Long enough back for the replay to see the cooldown the latest starts caused.
    const since = new Date(
      this.deps.now() - 2 * (3_600_000 + this.deps.settings.budget.cooldown),
    ).toISOString();
    const recent = await this.deps.store.listRepairs({ botId: bot.id, since, limit: 1000 });
    const starts = recent
      .filter((r) => r.startedBy === "repair" && !r.dryRun && r.outcome !== "skipped")
      .map((r) => Date.parse(r.startedAt));
    return checkBudget(starts, this.deps.now(), {
      maxPerHour: this.deps.settings.budget.maxPerHour,
      cooldownMs: this.deps.settings.budget.cooldown,
    });
  }
}

/** The pause in force for a bot among `pauses`: its own, or the fleet's; null when none. */
export function pauseOf(pauses: readonly RepairPause[], botId: string): RepairPause | null {
  return pauses.find((p) => p.botId === null || p.botId === botId) ?? null;
}
