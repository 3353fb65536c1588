import type {
  Check,
  CheckHistory,
  CheckOutcome,
  CheckSettings,
  CheckTarget,
} from "../checks/check.js";
import { errorMessage } from "../core/errors.js";
import { abortableSleep } from "../core/time.js";

/** One run of a check, with how many times in a row it has now failed (0 when ok). */
export interface CheckReport {
  check: Check;
  settings: CheckSettings;
  outcome: CheckOutcome;
  failures: number;
  /** Epoch ms when the first run of the current failure streak began; null when ok. */
  failingSinceMs: number | null;
}

/**
 * Runs `check` at once, then every `settings.period`, start to start (a slow answer does not
 * stretch the schedule, so k failures are seen within k periods plus one timeout), until
 * `signal` aborts. An outcome with `rerunNow` is followed by the next run at once. A check
 * that throws or overruns its timeout is a failed run, not a crashed loop.
 */
export async function runCheckLoop(
  check: Check,
  settings: CheckSettings,
  target: CheckTarget,
  signal: AbortSignal,
  report: (result: CheckReport) => Promise<void> | void,
): Promise<void> {
  let failures = 0;
  let failingSinceMs: number | null = null;
  // The first run at once: figures (RSS, readiness) are known from the start.
  let next = performance.now();
  const history: { atMs: number; outcome: CheckOutcome }[] = [];
  while (!signal.aborted) {
    await abortableSleep(next - performance.now(), signal);
    if (signal.aborted) return;
    next = Math.max(next + settings.period, performance.now());
    const ranAt = Date.now();
    const outcome = await runOnce(check, settings, target, signal, history);
    if (signal.aborted) return;
    // Evidence worth confirming (see CheckOutcome.rerunNow) is looked at again without the wait.
    if (outcome.rerunNow) next = performance.now();
    history.push({ atMs: Date.now(), outcome });
    if (history.length > HISTORY) history.shift();
    failures = outcome.ok ? 0 : failures + 1;
    failingSinceMs = outcome.ok ? null : (failingSinceMs ?? ranAt);
    await report({ check, settings, outcome, failures, failingSinceMs });
  }
}

/** Runs kept per check and process: an hour of 30-second samples. */
const HISTORY = 120;

async function runOnce(
  check: Check,
  settings: CheckSettings,
  target: CheckTarget,
  signal: AbortSignal,
  history: CheckHistory,
): Promise<CheckOutcome> {
  // A controller, a timer and a listener of this run's own, all released when the run ends.
  // Not AbortSignal.any/timeout: on Node 20 a composite signal with a listener stays in a
  // module-level set for good (with the timeout's DOMException and its stack), and every one
  // adds a WeakRef to the loop's signal: ~2 KB kept per run, 40 runs a second at 100 gateways.
  const limit = new AbortController();
  const stop = () => limit.abort(signal.reason);
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<CheckOutcome>((resolve) => {
    limit.signal.addEventListener(
      "abort",
      () => resolve({ ok: false, message: `no verdict within ${settings.timeout}ms` }),
      { once: true },
    );
    timer = setTimeout(
      () => limit.abort(new DOMException("The operation timed out", "TimeoutError")),
      settings.timeout + 250,
    );
  });
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  try {
    return await Promise.race([check.run(target, settings, limit.signal, history), overrun]);
  } catch (error) {
    return { ok: false, message: `check failed: ${errorMessage(error)}` };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", stop);
  }
}
