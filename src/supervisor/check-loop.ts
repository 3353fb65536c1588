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
  /** How long this run took, ms. */
  durationMs: number;
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
  // One signal for the runs, replaced only once an overrun aborted it. On Node 20 each new
  // AbortSignal leaves ~0.5 KB of hidden classes in the old generation until a full GC, and
  // heap profiles showed the signals and their runs' closures surviving there too: at 100
  // gateways (40 runs a second) a controller per run was the largest part of what the old
  // generation grew by between full GCs.
  let limit = new AbortController();
  const stop = () => limit.abort(signal.reason);
  signal.addEventListener("abort", stop, { once: true });
  try {
    while (!signal.aborted) {
      await abortableSleep(next - performance.now(), signal);
      if (signal.aborted) return;
      next = Math.max(next + settings.period, performance.now());
      const ranAt = Date.now();
      if (limit.signal.aborted) limit = new AbortController();
      const runStart = performance.now();
      const outcome = await runOnce(check, settings, target, limit, history);
      const durationMs = performance.now() - runStart;
      if (signal.aborted) return;
      // Evidence worth confirming (see CheckOutcome.rerunNow) is looked at again without the wait.
      if (outcome.rerunNow) next = performance.now();
      history.push({ atMs: Date.now(), outcome });
      if (history.length > HISTORY) history.shift();
      failures = outcome.ok ? 0 : failures + 1;
      failingSinceMs = outcome.ok ? null : (failingSinceMs ?? ranAt);
      await report({ check, settings, outcome, failures, failingSinceMs, durationMs });
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

/** Runs kept per check and process: an hour of 30-second samples. */
const HISTORY = 120;

/**
 * One run, given `limit`: its signal aborts when the loop stops or when this run overruns
 * its timeout (then the loop makes a new one for the next run).
 */
async function runOnce(
  check: Check,
  settings: CheckSettings,
  target: CheckTarget,
  limit: AbortController,
  history: CheckHistory,
): Promise<CheckOutcome> {
  // A timer and a listener of this run's own, both released when the run ends. Not
  // AbortSignal.any/timeout: on Node 20 a composite signal with a listener stays in a
  // module-level set for good (with the timeout's DOMException and its stack).
  let overran!: () => void;
  const overrun = new Promise<CheckOutcome>((resolve) => {
    overran = () => resolve({ ok: false, message: `no verdict within ${settings.timeout}ms` });
  });
  const timer = setTimeout(
    () => limit.abort(new DOMException("The operation timed out", "TimeoutError")),
    settings.timeout + 250,
  );
  limit.signal.addEventListener("abort", overran, { once: true });
  try {
    return await Promise.race([check.run(target, settings, limit.signal, history), overrun]);
  } catch (error) {
    return { ok: false, message: `check failed: ${errorMessage(error)}` };
  } finally {
    clearTimeout(timer);
    limit.signal.removeEventListener("abort", overran);
  }
}
