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
    for (;;) {
      const pollMs = options.pollMs ?? 100;
      await (options.signal ? abortableSleep(pollMs, options.signal) : sleep(pollMs));
      if (options.signal?.aborted || !isSameLiveProcess(pid, startTime))
        return { code: null, signal: null };
    }
  })();
  return { pid, startTime, child: false, exited, logFile: null };
}

/** SIGTERM to the group, then SIGKILL after `graceMs`; resolves with the exit. */
export async function stopGroup(process: GatewayProcess, graceMs: number): Promise<ProcessExit> {
  signalGroup(process.pid, "SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      signalGroup(process.pid, "SIGKILL");
      resolve();
    }, graceMs);
  });
  const exit = await Promise.race([process.exited, killed.then(() => process.exited)]);
  clearTimeout(timer);
  // Workers the gateway left in its group go with it.
  signalGroup(process.pid, "SIGKILL");
  return exit;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    globalThis.process.kill(-pgid, signal);
  } catch {
    // Gone already, or not a group leader: try the process itself.
    try {
      globalThis.process.kill(pgid, signal);
    } catch {
      // Gone.
    }
  }
}
