import { sleep } from "../core/time.js";

export interface DrainOutcome {
  /** Chat turns in flight when the drain began (0: nothing to wait for; null: unknown). */
  atStart: number | null;
  /** Still in flight when it ended: non-zero only when the budget ran out. */
  left: number;
  waitedMs: number;
}

/**
 * Waits until the gateway has no chat turn in flight, at most `budgetMs`,
 * asking `count` every `pollMs`. A count that cannot be had (the gateway
 * does not answer: hung, or not followed) is no reason to wait: the drain
 * ends at once and says the count was unknown.
 */
export async function drainTurns(
  count: () => Promise<number | null>,
  budgetMs: number,
  onWaiting: (inFlight: number) => void,
  pollMs = 250,
): Promise<DrainOutcome> {
  const started = performance.now();
  const atStart = await count().catch(() => null);
  if (!atStart) return { atStart, left: 0, waitedMs: 0 };
  onWaiting(atStart);
  let left = atStart;
  while (left > 0 && performance.now() - started < budgetMs) {
    await sleep(Math.min(pollMs, Math.max(0, budgetMs - (performance.now() - started))));
    left = (await count().catch(() => null)) ?? 0;
  }
  return { atStart, left, waitedMs: Math.round(performance.now() - started) };
}

/** The drain in words, for the restart's reason. */
export function describeDrain(outcome: DrainOutcome): string | null {
  if (!outcome.atStart) return null;
  return outcome.left === 0
    ? `after ${outcome.atStart} chat turn(s) in flight finished (${outcome.waitedMs}ms)`
    : `drain budget spent with ${outcome.left} of ${outcome.atStart} chat turn(s) still in flight`;
}
