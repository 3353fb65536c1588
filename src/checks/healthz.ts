import { type FailedRun, type ProcessSample, resolveHang } from "../core/hang.js";
import { checkLiveness } from "../gateway/liveness.js";
import { readProcStat } from "../system/proc.js";
import { type Check, type CheckHistory, checkSettings } from "./check.js";

/**
 * Liveness: `/healthz` answers 200 from *this* instance (`checkLiveness`). Failing
 * `failures` times in a row means hung: restart. An answer from another process on the
 * port (a stale gateway, a foreign server) is never counted as healthy: it is reported as
 * a port conflict.
 *
 * A probe that times out while the process uses no CPU at all (stopped, deadlocked) is
 * looked at again at once, and two such timeouts over at least 3 s call the hang before
 * the count (`resolveHang`): a busy gateway burns CPU, a hung one does not.
 */
export const healthz: Check = {
  name: "healthz",
  effect: "restart",
  schema: checkSettings({ period: "5s", timeout: "2s", failures: 3 }),
  async run(target, settings, _signal, history) {
    const before = sample(target.pid);
    const liveness = await checkLiveness(
      { port: target.bot.port, pid: target.pid },
      {
        timeoutMs: settings.timeout,
        known: history.at(-1)?.outcome.facts?.listener ?? target.listener ?? null,
      },
    );
    if (liveness.foreign) {
      const { pid, cmdline } = liveness.foreign;
      return { ok: false, message: liveness.message, foreign: { pid, cmdline } };
    }
    const facts = liveness.socket ? { listener: liveness.socket } : {};
    if (liveness.live) return { ok: true, message: liveness.message, facts };
    const timedOut = !liveness.probe.ok && liveness.probe.failure === "timeout";
    if (!timedOut) return { ok: false, message: liveness.message, facts };

    const run: FailedRun = { before, after: sample(target.pid) };
    const verdict = resolveHang([...failureStreak(history), run]);
    if (verdict.kind === "unknown") return { ok: false, message: liveness.message, facts };
    return {
      ok: false,
      message: `${liveness.message}; pid ${target.pid} ${verdict.evidence}`,
      facts: { ...facts, stall: run },
      // A stall is looked at again now rather than a period later, so that a hang is called
      // within one period and two timeouts.
      ...(verdict.kind === "hung" ? { hung: true } : {}),
      ...(verdict.kind === "stalled" ? { rerunNow: true } : {}),
    };
  },
};

function sample(pid: number): ProcessSample | null {
  const stat = readProcStat(pid);
  return stat && { atMs: performance.now(), state: stat.state, cpuTicks: stat.cpuTicks };
}

/** The failed runs since the last success, oldest first (a run without samples ends a stall). */
function failureStreak(history: CheckHistory): FailedRun[] {
  const streak: FailedRun[] = [];
  for (let i = history.length - 1; i >= 0 && !history[i]!.outcome.ok; i -= 1)
    streak.unshift(history[i]!.outcome.facts?.stall ?? { before: null, after: null });
  return streak;
}
