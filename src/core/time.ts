/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Resolves after `ms` milliseconds, or at once when `signal` aborts (never rejects). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * The daemon's loop runner (src/daemon/loops.ts), as far as a capability
 * needs it: `work` every `periodMs` until `signal` aborts.
 */
export interface LoopRunner {
  every(
    name: string,
    periodMs: number,
    signal: AbortSignal,
    work: (signal: AbortSignal) => Promise<void>,
  ): void;
}
