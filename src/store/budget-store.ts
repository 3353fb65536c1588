import type { BudgetScope, BudgetState, BudgetWindow } from "../core/budget.js";

/** Which budget state: a scope, a name and a window. */
export interface BudgetStateKey {
  scope: BudgetScope;
  name: string;
  window: BudgetWindow;
}

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
  /** Forgets a state (a budget taken out of clawops.yaml); false when there was none. */
  removeState(key: BudgetStateKey): Promise<boolean>;
}
