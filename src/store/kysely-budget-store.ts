import type { Kysely } from "kysely";
import { BUDGET_LEVELS, BUDGET_SCOPES, BUDGET_WINDOWS, type BudgetState } from "../core/budget.js";
import type { BudgetStore } from "./budget-store.js";
import type { BudgetStatesTable, Database } from "./schema.js";
import { id, invalid, utcTime } from "./session-rows.js";
import { storeErrors } from "./transact.js";

/** The BudgetStore on the store's Kysely, either dialect. */
export class KyselyBudgetStore implements BudgetStore {
  constructor(private readonly db: Kysely<Database>) {}

  async listStates(): Promise<BudgetState[]> {
    const rows = await this.db
      .selectFrom("budget_states")
      .selectAll()
      .orderBy("scope")
      .orderBy("name")
      .orderBy("period")
      .execute();
    return rows.map(toState);
  }

  async saveState(state: BudgetState): Promise<void> {
    const row = fromState(state);
    const { scope: _scope, name: _name, period: _period, ...changes } = row;
    await storeErrors(
      this.db
        .insertInto("budget_states")
        .values(row)
        .onConflict((oc) => oc.columns(["scope", "name", "period"]).doUpdateSet(changes))
        .execute(),
    );
  }
}

function oneOf<T extends string>(values: readonly T[], value: unknown, path: string): T {
  if (!values.includes(value as T)) throw invalid(path, `one of ${values.join(", ")}`, value);
  return value as T;
}

function dollars(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw invalid(path, "a finite number >= 0", value);
  return value;
}

function fromState(s: BudgetState): BudgetStatesTable {
  if (typeof s.paused !== "boolean") throw invalid("paused", "true or false", s.paused);
  return {
    scope: oneOf(BUDGET_SCOPES, s.scope, "scope"),
    name: id(s.name, "name"),
    period: oneOf(BUDGET_WINDOWS, s.window, "window"),
    period_start: utcTime(s.periodStart, "periodStart"),
    level: oneOf(BUDGET_LEVELS, s.level, "level"),
    paused: s.paused ? 1 : 0,
    spent_usd: dollars(s.spentUsd, "spentUsd"),
    limit_usd: dollars(s.limitUsd, "limitUsd"),
    updated_at: utcTime(s.updatedAt, "updatedAt"),
  };
}

function toState(row: BudgetStatesTable): BudgetState {
  return {
    scope: row.scope as BudgetState["scope"],
    name: row.name,
    window: row.period as BudgetState["window"],
    periodStart: row.period_start,
    level: row.level as BudgetState["level"],
    paused: Number(row.paused) === 1,
    spentUsd: Number(row.spent_usd),
    limitUsd: Number(row.limit_usd),
    updatedAt: row.updated_at,
  };
}
