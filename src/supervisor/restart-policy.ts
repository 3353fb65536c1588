/**
 * When to restart a gateway that failed, as pure functions. The defaults are
 * the product's: first restart at once, then 1 s doubling to a 60 s cap, the
 * count reset after 10 minutes healthy, and 10 failures in 10 minutes is a
 * crash loop that stops restarting. Exit 78 (EX_CONFIG) is never restarted:
 * the same config fails the same way.
 */
export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Running healthy this long forgets earlier failures for the backoff. */
  resetAfterMs: number;
  crashLoopFailures: number;
  crashLoopWindowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  resetAfterMs: 600_000,
  crashLoopFailures: 10,
  crashLoopWindowMs: 600_000,
};

export const EX_CONFIG = 78;

export type RestartDecision =
  | { action: "restart"; delayMs: number; attempt: number }
  | { action: "fail"; reason: string; escalate: boolean };

export interface FailureHistory {
  /** Failure times in ms, including the one being decided. */
  failuresMs: readonly number[];
  /** Failures since the gateway last ran healthy for `resetAfterMs` (this one included). */
  consecutive: number;
  exitCode: number | null;
  nowMs: number;
}

export function decideRestart(policy: RestartPolicy, history: FailureHistory): RestartDecision {
  if (history.exitCode === EX_CONFIG) {
    return {
      action: "fail",
      reason: "exit 78: the gateway rejected its configuration; fix it, then start the bot again",
      escalate: false,
    };
  }
  const inWindow = recentFailures(policy, history.failuresMs, history.nowMs).length;
  if (inWindow >= policy.crashLoopFailures) {
    return {
      action: "fail",
      reason: `crash loop: ${inWindow} failures within ${Math.round(policy.crashLoopWindowMs / 60_000)} min; not restarting`,
      escalate: true,
    };
  }
  return {
    action: "restart",
    delayMs: backoffDelayMs(policy, history.consecutive),
    attempt: history.consecutive,
  };
}

/** 0 for the first failure, then initialDelay doubling up to maxDelay. */
export function backoffDelayMs(policy: RestartPolicy, consecutive: number): number {
  if (consecutive <= 1) return 0;
  return Math.min(policy.initialDelayMs * 2 ** (consecutive - 2), policy.maxDelayMs);
}

/** The failure times still inside the crash-loop window. */
export function recentFailures(
  policy: RestartPolicy,
  failuresMs: readonly number[],
  nowMs: number,
): number[] {
  return failuresMs.filter((t) => nowMs - t < policy.crashLoopWindowMs);
}
