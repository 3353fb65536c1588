import type { ReadinessStatus } from "./check.js";

/** What each verdict earns of a component's weight: pass all of it, warn half, fail none. */
export const STATUS_VALUE: Readonly<Record<Exclude<ReadinessStatus, "skip">, number>> = {
  pass: 1,
  warn: 0.5,
  fail: 0,
};

/**
 * The readiness score, 0 to 100: the weighted mean of the components' values
 * (`STATUS_VALUE`), skipped components and those of weight 0 left out,
 * rounded down to an integer (so that 99.6 is not shown as a perfect 100).
 * With nothing scored it is 0: nothing has been shown to be ready. Pure.
 */
export function resolveScore(
  results: readonly { status: ReadinessStatus; weight: number }[],
): number {
  let total = 0;
  let earned = 0;
  for (const { status, weight } of results) {
    if (status === "skip" || weight <= 0) continue;
    total += weight;
    earned += weight * STATUS_VALUE[status];
  }
  if (total === 0) return 0;
  return Math.floor((100 * earned) / total + 1e-9);
}

/** The report's verdict: its worst component's (skips aside); `pass` when nothing was scored is not claimed: `fail`. */
export function resolveOverall(
  results: readonly { status: ReadinessStatus }[],
): Exclude<ReadinessStatus, "skip"> {
  const scored = results.filter((r) => r.status !== "skip");
  if (scored.length === 0) return "fail";
  if (scored.some((r) => r.status === "fail")) return "fail";
  if (scored.some((r) => r.status === "warn")) return "warn";
  return "pass";
}
