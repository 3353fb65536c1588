import type { Check, CheckOutcome, CheckSettings, CheckTarget } from "../checks/check.js";
import { errorMessage } from "../core/errors.js";
import { abortableSleep } from "../core/time.js";

/** One run of a check, with how many times in a row it has now failed (0 when ok). */
export interface CheckReport {
  check: Check;
  settings: CheckSettings;
  outcome: CheckOutcome;
  failures: number;
}

/**
 * Runs `check` every `settings.period`, start to start (a slow answer does not
 * stretch the schedule, so k failures are seen within k periods plus one
 * timeout), until `signal` aborts. A check that throws or overruns its
 * timeout is a failed run, not a crashed loop.
 */
export async function runCheckLoop(
  check: Check,
  settings: CheckSettings,
  target: CheckTarget,
  signal: AbortSignal,
  report: (result: CheckReport) => Promise<void> | void,
): Promise<void> {
  let failures = 0;
  let next = performance.now() + settings.period;
  while (!signal.aborted) {
    await abortableSleep(next - performance.now(), signal);
    if (signal.aborted) return;
    next = Math.max(next + settings.period, performance.now());
    const outcome = await runOnce(check, settings, target, signal);
    if (signal.aborted) return;
    failures = outcome.ok ? 0 : failures + 1;
    await report({ check, settings, outcome, failures });
  }
}

async function runOnce(
  check: Check,
  settings: CheckSettings,
  target: CheckTarget,
  signal: AbortSignal,
): Promise<CheckOutcome> {
  const limit = AbortSignal.any([signal, AbortSignal.timeout(settings.timeout + 250)]);
  try {
    return await Promise.race([
      check.run(target, settings, limit),
      new Promise<CheckOutcome>((resolve) =>
        limit.addEventListener("abort", () =>
          resolve({ ok: false, message: `no verdict within ${settings.timeout}ms` }),
        ),
      ),
    ]);
  } catch (error) {
    return { ok: false, message: `check failed: ${errorMessage(error)}` };
  }
}
