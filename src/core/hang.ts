/**
 * Is a gateway whose `/healthz` times out hung, or only slow? The process's own evidence
 * beside the probe: a hung gateway (stopped by SIGSTOP or a debugger, deadlocked, waiting on
 * something that never comes) uses no CPU; a gateway that is merely busy, under load or on a
 * saturated host, does. Pure: the samples come from /proc (`readProcStat`), the verdict goes
 * to the `healthz` check. The reasoning and the figures are in docs/supervisor.md.
 */

/** What /proc said of the process at one instant. */
export interface ProcessSample {
  /** When it was read, in ms (any monotonic clock: only differences are used). */
  atMs: number;
  /** /proc/<pid>/stat state of the main thread: R, S, D, T, t, Z ... */
  state: string;
  /** utime + stime of the whole process, in clock ticks (10 ms). */
  cpuTicks: number;
}

/**
 * One failed liveness run. The samples are there only when the probe timed out (no answer)
 * and /proc could be read: any other failure (refused, a 503, a foreign listener) is not a
 * stall, and ends a run of stalled ones.
 */
export interface FailedRun {
  before: ProcessSample | null;
  after: ProcessSample | null;
}

export type HangVerdict =
  /**
   * No CPU used over `MIN_STALL_RUNS` timed-out probes and at least `MIN_STALL_MS`: hung.
   * `evidence` follows "pid N": "was stopped (state T) and used no CPU for 4.0s".
   */
  | { kind: "hung"; stalledMs: number; evidence: string }
  /** No CPU used so far, but not yet over enough runs or time: probe again at once. */
  | { kind: "stalled"; stalledMs: number; evidence: string }
  /** It ran, or is in a state that is not a stall: leave the verdict to the failure count. */
  | { kind: "working"; evidence: string }
  /** Nothing to judge by (no timeout, /proc unreadable). */
  | { kind: "unknown" };

/** Timed-out probes in a row, with no CPU used, before a stall is a hang. */
export const MIN_STALL_RUNS = 2;
/** How long the process must have used no CPU before a stall is a hang (ms). */
export const MIN_STALL_MS = 3_000;

/**
 * States a stalled process shows: asleep (S: waiting on a lock, a futex, a promise that never
 * resolves) or stopped (T: SIGSTOP; t: stopped by a debugger or tracer). Not R (runnable:
 * waiting for a CPU on a saturated host, starved rather than hung), D (in uninterruptible I/O:
 * the kernel is working for it), Z or X (exiting: its exit event follows).
 */
const STALL_STATES: ReadonlySet<string> = new Set(["S", "T", "t"]);

const STATE_WORDS: Record<string, string> = {
  S: "was asleep (state S)",
  T: "was stopped (state T)",
  t: "was stopped by a tracer (state t)",
  R: "was runnable, waiting for a CPU (state R)",
  D: "was in uninterruptible I/O (state D)",
  Z: "was exiting (state Z)",
  X: "was exiting (state X)",
};

function describeState(state: string): string {
  return STATE_WORDS[state] ?? `was in state ${state}`;
}

/**
 * The verdict on the current failure streak (`failed`, oldest first, the latest last). The
 * stall is the longest tail of runs in which every sample shows a stall state and the CPU time
 * never moved, from the first run's `before` to the last run's `after` (so the gaps between
 * runs count too).
 */
export function resolveHang(failed: readonly FailedRun[]): HangVerdict {
  const last = failed.at(-1);
  if (!last?.before || !last.after) return { kind: "unknown" };
  const moved = last.after.cpuTicks - last.before.cpuTicks;
  if (moved !== 0)
    // Clock ticks are 10 ms (USER_HZ 100).
    return { kind: "working", evidence: `used ${moved * 10}ms of CPU during the probe` };
  for (const sample of [last.before, last.after])
    if (!STALL_STATES.has(sample.state))
      return { kind: "working", evidence: describeState(sample.state) };

  let first = last;
  let runs = 1;
  for (let i = failed.length - 2; i >= 0; i -= 1) {
    const run = failed[i]!;
    const still =
      run.before !== null &&
      run.after !== null &&
      run.before.cpuTicks === last.after.cpuTicks &&
      run.after.cpuTicks === last.after.cpuTicks &&
      STALL_STATES.has(run.before.state) &&
      STALL_STATES.has(run.after.state);
    if (!still) break;
    first = run;
    runs += 1;
  }
  const stalledMs = Math.round(last.after.atMs - first.before!.atMs);
  const evidence = `${describeState(last.after.state)} and used no CPU for ${(stalledMs / 1000).toFixed(1)}s`;
  if (runs >= MIN_STALL_RUNS && stalledMs >= MIN_STALL_MS)
    return { kind: "hung", stalledMs, evidence };
  return { kind: "stalled", stalledMs, evidence };
}
