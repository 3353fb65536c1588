import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { BudgetState } from "../core/budget.js";
import { expectValidation } from "./session-store.contract.js";
import type { Store } from "./store.js";

function state(name: string, extra: Partial<BudgetState> = {}): BudgetState {
  return {
    scope: "bot",
    name,
    window: "day",
    periodStart: "2026-11-01T00:00:00.000Z",
    level: "warning",
    paused: false,
    spentUsd: 0.85,
    limitUsd: 1,
    updatedAt: "2026-11-01T10:00:00.000Z",
    ...extra,
  };
}

/**
 * Budget states, part of the store contract: `store()` is the suite's
 * migrated store (shared, so each test uses names of its own), `open()` a
 * second store on the same database (a restarted daemon).
 */
export function budgetStoreContract(ctx: { store(): Store; open(): Promise<Store> }) {
  const mine = (states: BudgetState[], names: string[]) =>
    states.filter((s) => names.includes(s.name));

  it("saves budget states, replaces one per scope, name and window, and keeps them across a reopen", async () => {
    const { budgets } = ctx.store();
    const [bot, owner] = [`b-${randomUUID()}`, `o-${randomUUID()}`];
    const daily = state(bot);
    const monthly = state(bot, {
      window: "month",
      periodStart: "2026-11-01T00:00:00+01:00",
      level: "exceeded",
      paused: true,
      spentUsd: 12.5,
      limitUsd: 10,
    });
    const team = state(owner, { scope: "owner", spentUsd: 0.000001 });
    await budgets.saveState(daily);
    await budgets.saveState(monthly);
    await budgets.saveState(team);
    // Times come back in UTC; the order is scope, name, window.
    const utcMonthly = { ...monthly, periodStart: "2026-10-31T23:00:00.000Z" };
    expect(mine(await budgets.listStates(), [bot, owner])).toEqual([daily, utcMonthly, team]);

    const resumed = { ...utcMonthly, paused: false, updatedAt: "2026-11-02T08:00:00.000Z" };
    await budgets.saveState(resumed);
    const other = await ctx.open();
    try {
      expect(mine(await other.budgets.listStates(), [bot, owner])).toEqual([daily, resumed, team]);
    } finally {
      await other.close();
    }
  });

  it("refuses a budget state that breaks its type, naming the field", async () => {
    const { budgets } = ctx.store();
    const name = `b-${randomUUID()}`;
    const bad = (extra: Record<string, unknown>) => {
      const broken: Record<string, unknown> = { ...state(name), ...extra };
      return budgets.saveState(broken as unknown as BudgetState);
    };
    await expectValidation(bad({ scope: "team" }), /^scope must be one of bot, owner/);
    await expectValidation(bad({ window: "week" }), /^window must be one of day, month/);
    await expectValidation(bad({ level: "high" }), /^level must be one of ok, warning, exceeded/);
    await expectValidation(bad({ name: "" }), /^name must be a non-empty string/);
    await expectValidation(bad({ periodStart: "today" }), /^periodStart must be an ISO 8601/);
    await expectValidation(bad({ spentUsd: -1 }), /^spentUsd must be a finite number >= 0/);
    await expectValidation(bad({ limitUsd: Number.NaN }), /^limitUsd must be a finite number/);
    await expectValidation(bad({ paused: 1 }), /^paused must be true or false/);
    expect(mine(await budgets.listStates(), [name])).toEqual([]);
  });
}
