import type { Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import { abortableSleep } from "../core/time.js";

export interface LoopStatus {
  name: string;
  periodMs: number;
  lastRunAt: number | null;
  lastOkAt: number | null;
  lastError: string | null;
  runs: number;
}

/**
 * Runs periodic work and remembers how each loop fares, so /readyz can tell a
 * loop that stalls or keeps failing from one that is alive.
 */
export class Loops {
  private readonly loops = new Map<string, LoopStatus>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  /** Runs `work` now and then every `periodMs` until `signal` aborts. */
  every(
    name: string,
    periodMs: number,
    signal: AbortSignal,
    work: (signal: AbortSignal) => Promise<void>,
  ) {
    const status: LoopStatus = {
      name,
      periodMs,
      lastRunAt: null,
      lastOkAt: null,
      lastError: null,
      runs: 0,
    };
    this.loops.set(name, status);
    const run = (async () => {
      while (!signal.aborted) {
        status.lastRunAt = Date.now();
        try {
          await work(signal);
          status.lastOkAt = Date.now();
          status.lastError = null;
        } catch (error) {
          status.lastError = errorMessage(error);
          this.log.warn({ loop: name, err: status.lastError }, "loop.failed");
        }
        status.runs += 1;
        await abortableSleep(periodMs, signal);
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /**
   * Forgets a loop whose signal aborted while the daemon goes on (a
   * singleton after its leadership ended): a loop that no longer runs is not stalled.
   */
  forget(name: string): void {
    this.loops.delete(name);
  }

  /** Each loop with a verdict: stalled when it has not run for three periods, failing when its last run threw. */
  check(now = Date.now()): { name: string; ok: boolean; reason?: string }[] {
    return [...this.loops.values()].map((loop) => {
      const since = loop.lastRunAt === null ? Infinity : now - loop.lastRunAt;
      if (since > loop.periodMs * 3 + 1_000) {
        return { name: loop.name, ok: false, reason: `stalled: no run for ${Math.round(since)}ms` };
      }
      if (loop.lastError) return { name: loop.name, ok: false, reason: loop.lastError };
      return { name: loop.name, ok: true };
    });
  }

  status(): LoopStatus[] {
    return [...this.loops.values()].map((l) => ({ ...l }));
  }

  /** Resolves when every loop has returned (after their signal aborted). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
