const HOUR_MS = 3_600_000;

export interface BudgetPolicy {
  maxPerHour: number;
  cooldownMs: number;
}

export type BudgetVerdict =
  { allowed: true; remaining: number } | { allowed: false; untilMs: number; reason: string };

/**
 * Whether one more automatic repair of a bot may start at `nowMs`, from the
 * start times of the automatic repairs it already had. At most `maxPerHour`
 * in any hour; the repair that uses the last of them starts a cooldown of
 * `cooldownMs`, after which the count starts afresh. Pure: the history is the
 * store's, so a restarted daemon keeps the same budget.
 */
export function checkBudget(
  startsMs: readonly number[],
  nowMs: number,
  policy: BudgetPolicy,
): BudgetVerdict {
  let floor = -Infinity;
  let cooldownEnd = -Infinity;
  let used: number[] = [];
  for (const t of [...startsMs].sort((a, b) => a - b)) {
    if (t > nowMs) break;
    used = used.filter((s) => s > t - HOUR_MS && s >= floor);
    used.push(t);
    if (used.length >= policy.maxPerHour) {
      cooldownEnd = t + policy.cooldownMs;
      floor = cooldownEnd;
      used = [];
    }
  }
  if (nowMs < cooldownEnd) {
    return {
      allowed: false,
      untilMs: cooldownEnd,
      reason: `repair budget spent (${policy.maxPerHour} automatic repairs within an hour); cooling down until ${new Date(cooldownEnd).toISOString()}`,
    };
  }
  const inWindow = used.filter((s) => s > nowMs - HOUR_MS && s >= floor).length;
  return { allowed: true, remaining: policy.maxPerHour - inWindow };
}
