import { OpsError } from "../core/errors.js";

/**
 * Counts failures per key in a sliding window: at most `limit` within
 * `windowMs`, then `RATE_LIMITED` until the oldest one leaves the window.
 * In-process; keys are bounded (`maxKeys`, the least recently failed go
 * first) so that guessing random account names cannot grow memory.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly options: { limit: number; windowMs: number; maxKeys?: number; what: string },
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws `RATE_LIMITED` (details.retryAfterMs) when `key` has no attempt left. */
  check(key: string): void {
    const times = this.recent(key);
    if (times.length < this.options.limit) return;
    const retryAfterMs = times[0]! + this.options.windowMs - this.now();
    throw new OpsError(
      "RATE_LIMITED",
      `too many failed ${this.options.what} for "${key}": try again in ${Math.ceil(retryAfterMs / 1000)} s`,
      { retryable: true, details: { retryAfterMs } },
    );
  }

  fail(key: string): void {
    const times = this.recent(key);
    times.push(this.now());
    // Re-inserted last: the Map's order is least recently failed first.
    this.failures.delete(key);
    this.failures.set(key, times.slice(-this.options.limit));
    const maxKeys = this.options.maxKeys ?? 10_000;
    for (const old of this.failures.keys()) {
      if (this.failures.size <= maxKeys) break;
      this.failures.delete(old);
    }
  }

  /** A success does not forgive earlier failures: the window does. */
  private recent(key: string): number[] {
    const since = this.now() - this.options.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }
}
