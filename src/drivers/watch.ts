import { isSameLiveProcess } from "../system/proc.js";
import { abortableSleep, sleep } from "../core/time.js";
import type { GatewayProcess, ProcessExit } from "./driver.js";

/**
 * Watches a process clawops did not spawn (adopted, or left running by a
 * previous clawops) by polling /proc: it is gone when the pid vanishes, turns
 * zombie, or now belongs to a process with another start time. Exit status is
 * unknowable here.
 */
export function watchPid(
  pid: number,
  startTime: number,
  options: { pollMs?: number; signal?: AbortSignal } = {},
): GatewayProcess | null {
  if (!isSameLiveProcess(pid, startTime)) return null;
  const exited = (async (): Promise<ProcessExit> => {
    for (let aliveAt = Date.now(); ; aliveAt = Date.now()) {
      const pollMs = options.pollMs ?? 100;
      await (options.signal ? abortableSleep(pollMs, options.signal) : sleep(pollMs));
      if (options.signal?.aborted || !isSameLiveProcess(pid, startTime))
        return { code: null, signal: null, aliveAt };
    }
  })();
  return { pid, startTime, child: false, exited, logFile: null };
}

/** How long a process may take to vanish after SIGKILL before clawops stops waiting for it. */
const KILL_WAIT_MS = 5_000;

/**
 * SIGTERM to the group, then SIGKILL after `graceMs`; resolves with the exit.
 * Signals go only to the process that was started or adopted (same pid and
 * start time), never to whoever reuses its pid. A process that survives
 * SIGKILL (another user's, stuck in the kernel) is given up after 5 s with
 * an unknown exit rather than waited for for ever.
 */
export async function stopGroup(process: GatewayProcess, graceMs: number): Promise<ProcessExit> {
  const signal = (name: NodeJS.Signals) => {
    if (isSameLiveProcess(process.pid, process.startTime)) signalGroup(process.pid, name);
  };
  signal("SIGTERM");
  let graceTimer: NodeJS.Timeout | undefined;
  let giveUpTimer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<ProcessExit>((resolve) => {
    graceTimer = setTimeout(() => {
      signal("SIGKILL");
      giveUpTimer = setTimeout(() => resolve({ code: null, signal: null }), KILL_WAIT_MS);
    }, graceMs);
  });
  const exit = await Promise.race([process.exited, gaveUp]);
  clearTimeout(graceTimer);
  clearTimeout(giveUpTimer);
  // Workers the gateway left in its group go with it.
  killGroupMembers(process.pid);
  return exit;
}

/** SIGKILL to what is left of a process group, once its leader is gone; never to a lone pid. */
export function killGroupMembers(pgid: number): void {
  try {
    globalThis.process.kill(-pgid, "SIGKILL");
  } catch {
    // No group left.
  }
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    globalThis.process.kill(-pgid, signal);
  } catch {
    // Not a group leader (an adopted process): the process itself.
    try {
      globalThis.process.kill(pgid, signal);
    } catch {
      // Gone.
    }
  }
}
