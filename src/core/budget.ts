/**
 * Spending budgets (issue 15): a limit in US dollars per bot or per owner,
 * per UTC day and per UTC month. The types the store, the event catalogue
 * and the budget service share; the logic lives in src/budget/.
 */

/** Whose spend a budget limits: one bot's, or every bot of one owner's. */
export const BUDGET_SCOPES = ["bot", "owner"] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];

/** The period a limit covers: the UTC day or the UTC month. */
export const BUDGET_WINDOWS = ["day", "month"] as const;
export type BudgetWindow = (typeof BUDGET_WINDOWS)[number];

/** How far the spend of a period got, in order: below the warning, past it, at or past the limit. */
export const BUDGET_LEVELS = ["ok", "warning", "exceeded"] as const;
export type BudgetLevel = (typeof BUDGET_LEVELS)[number];

/** What reaching the limit does: tell the operators, or also pause the bot(s). */
export const BUDGET_ACTIONS = ["notify", "pause"] as const;
export type BudgetAction = (typeof BUDGET_ACTIONS)[number];

/**
 * Why a budget pause ended: an operator resumed it, its period ended, or the
 * budget no longer calls for it (the limit was raised or removed, or its
 * action set to `notify`).
 */
export const BUDGET_RESUME_REASONS = ["operator", "period", "limit"] as const;
export type BudgetResumeReason = (typeof BUDGET_RESUME_REASONS)[number];

/**
 * What clawops remembers of one budget window, so that a crossing is
 * announced once per period and a pause survives a restart. A state whose
 * `periodStart` is not the current period's is over: it counts as `ok` and
 * not paused.
 */
export interface BudgetState {
  scope: BudgetScope;
  /** The bot's or the owner's name. */
  name: string;
  window: BudgetWindow;
  /** ISO 8601, UTC: the start of the period it is about (midnight, or the 1st at midnight). */
  periodStart: string;
  /** The highest level announced in that period. */
  level: BudgetLevel;
  /** New chats through clawops are refused for the scope's bots. */
  paused: boolean;
  /** The spend when it last changed, US dollars. */
  spentUsd: number;
  /** The limit it was measured against then, US dollars. */
  limitUsd: number;
  /** ISO 8601, UTC. */
  updatedAt: string;
}
