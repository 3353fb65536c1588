import { type ExitInfo, describeExit } from "../core/gateway-state.js";
import type { ProcessExit } from "../drivers/driver.js";
import { tailLines } from "../gateway/log-file.js";
import {
  type RestartDecision,
  type RestartPolicy,
  decideRestart,
  recentFailures,
} from "./restart-policy.js";

/**
 * A gateway's failures as the restart policy counts them: how many in a row
 * since it last ran healthy for `resetAfterMs`, and the one pending restart
 * after a backoff.
 */
export class FailureStreak {
  private consecutive = 0;
  private liveSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly policy: RestartPolicy) {}

  /** An operator's start: earlier failures no longer count. */
  forget(): void {
    this.consecutive = 0;
  }

  /** The gateway answers now; running healthy long enough forgets the streak. */
  live(at = Date.now()): void {
    this.liveSince = at;
  }

  /** The gateway no longer runs (stopped on purpose or ended). */
  ended(): void {
    this.liveSince = null;
  }

  /**
   * Counts a failure at `now` after the ones recorded at `earlier` (ISO
   * times), and decides what the policy does about it.
   */
  count(
    now: number,
    earlier: readonly string[],
    exitCode: number | null,
  ): { failuresMs: number[]; decision: RestartDecision } {
    if (this.liveSince !== null && now - this.liveSince >= this.policy.resetAfterMs)
      this.consecutive = 0;
    this.liveSince = null;
    this.consecutive += 1;
    const failuresMs = recentFailures(this.policy, [...earlier.map(Date.parse), now], now);
    const decision = decideRestart(this.policy, {
      failuresMs,
      consecutive: this.consecutive,
      exitCode,
      nowMs: now,
    });
    return { failuresMs, decision };
  }

  /** Runs `relaunch` after `delayMs`, unless `cancel` comes first. */
  later(delayMs: number, relaunch: () => void): void {
    this.cancel();
    this.timer = setTimeout(relaunch, delayMs);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * What is kept of a process's end: code, signal, why in words and the last
 * 20 lines of its log. Masked here, where it is captured: the tail is stored,
 * served, printed and sent in events.
 */
export function captureExit(
  exit: ProcessExit,
  why: string | null,
  logFile: string,
  redact: (text: string) => string,
  now = Date.now(),
): ExitInfo {
  return {
    code: exit.code,
    signal: exit.signal,
    reason: redact(why ?? describeExit(exit.code, exit.signal)),
    at: new Date(now).toISOString(),
    logTail: tailLines(logFile, 20).map(redact),
  };
}
