import type { BudgetState } from "../core/budget.js";

/**
 * What clawops remembers of its spending budgets (src/budget/): one state
 * per budget window, so that a restarted daemon neither announces a crossing
 * twice in a period nor forgets a pause. Times are ISO 8601 and come back in
 * UTC; a state that breaks its type fails with `VALIDATION` naming the field.
 */
export interface BudgetStore {
  /** Every saved state (a few per budget), in scope, name and window order. */
  listStates(): Promise<BudgetState[]>;
  /** Inserts or replaces the state of its (scope, name, window). */
  saveState(state: BudgetState): Promise<void>;
}
