import {
  BUDGET_LEVELS,
  type BudgetLevel,
  type BudgetResumeReason,
  type BudgetScope,
  type BudgetState,
  type BudgetWindow,
} from "../core/budget.js";
import type { BudgetLimit } from "./settings.js";

/** ISO 8601 of the start of the UTC day or month that `nowMs` falls in. */
export function periodStart(window: BudgetWindow, nowMs: number): string {
  const now = new Date(nowMs);
  const day = window === "day" ? now.getUTCDate() : 1;
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), day)).toISOString();
}

/** ISO 8601 of the start of the next period: when this one's pause lifts by itself. */
export function periodEnd(window: BudgetWindow, nowMs: number): string {
  const start = new Date(periodStart(window, nowMs));
  if (window === "day") start.setUTCDate(start.getUTCDate() + 1);
  else start.setUTCMonth(start.getUTCMonth() + 1);
  return start.toISOString();
}

/** How far `spentUsd` got against a limit: `exceeded` at 100 % and above. */
export function levelOf(spentUsd: number, limitUsd: number, warnAt: number): BudgetLevel {
  if (spentUsd >= limitUsd) return "exceeded";
  return spentUsd >= limitUsd * warnAt ? "warning" : "ok";
}

const rank = (level: BudgetLevel) => BUDGET_LEVELS.indexOf(level);

/** The state when it is about the current period; null when there is none or it is over. */
export function currentState(state: BudgetState | null, nowMs: number): BudgetState | null {
  return state && state.periodStart === periodStart(state.window, nowMs) ? state : null;
}

/** The budget pauses that hold a bot now: its own, and its owner's. */
export function pausesHolding(
  states: readonly BudgetState[],
  bot: { name: string; owner: string | null },
  nowMs: number,
): BudgetState[] {
  return states.filter(
    (s) =>
      s.paused &&
      currentState(s, nowMs) !== null &&
      (s.scope === "bot" ? s.name === bot.name : s.name === bot.owner),
  );
}

/** One budget window at one moment: its limit (null: no longer configured), spend and saved state. */
export interface WindowInput {
  scope: BudgetScope;
  name: string;
  window: BudgetWindow;
  limit: BudgetLimit | null;
  spentUsd: number;
  state: BudgetState | null;
  nowMs: number;
}

export interface WindowVerdict {
  /** The state to save; null when nothing changed. */
  next: BudgetState | null;
  /** The levels crossed now, in order: a jump past the limit crosses the warning too. */
  crossed: Exclude<BudgetLevel, "ok">[];
  /** A pause began now. */
  paused: boolean;
  /** Why a pause ended now; null when none did. */
  resumed: BudgetResumeReason | null;
}

/**
 * What one budget window's spend means now, given what was announced
 * before: each level is crossed once per period (a restart, or the same
 * spend seen again, announces nothing), a pause begins when the limit is
 * crossed with action `pause`, and a pause ends when its period is over or
 * its budget no longer calls for it. Pure; the caller saves `next`.
 */
export function evaluateWindow(input: WindowInput): WindowVerdict {
  const { limit, spentUsd, nowMs } = input;
  const current = currentState(input.state, nowMs);
  const wasPaused = current?.paused ?? false;
  const announced = current?.level ?? "ok";
  const live = limit ? levelOf(spentUsd, limit.limitUsd, limit.warnAt) : "ok";
  const crossed = BUDGET_LEVELS.filter(
    (level): level is Exclude<BudgetLevel, "ok"> =>
      level !== "ok" && rank(level) > rank(announced) && rank(level) <= rank(live),
  );
  const pauses = limit?.action === "pause";
  let paused = wasPaused && pauses && live === "exceeded";
  if (crossed.includes("exceeded") && pauses) paused = true;
  let resumed: BudgetResumeReason | null = null;
  if (input.state?.paused && !current) resumed = "period";
  else if (wasPaused && !paused) resumed = "limit";

  const changed = crossed.length > 0 || paused !== wasPaused || resumed !== null;
  if (!changed) return { next: null, crossed, paused: false, resumed };
  return {
    next: {
      scope: input.scope,
      name: input.name,
      window: input.window,
      periodStart: periodStart(input.window, nowMs),
      level: crossed.at(-1) ?? announced,
      paused,
      spentUsd,
      limitUsd: limit?.limitUsd ?? current?.limitUsd ?? 0,
      updatedAt: new Date(nowMs).toISOString(),
    },
    crossed,
    paused: paused && !wasPaused,
    resumed,
  };
}
