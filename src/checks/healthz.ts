import { probe } from "../gateway/probes.js";
import { describeListener, findTcpListener, holdsSocket, isListenerOf } from "../system/proc.js";
import { type Check, checkSettings } from "./check.js";

/**
 * Liveness: `/healthz` answers 200 from *this* instance. Failing
 * `failures` times in a row means hung: restart. An answer from another
 * process on the port (a stale gateway, a foreign server) is never counted
 * as healthy: it is reported as a port conflict.
 */
export const healthz: Check = {
  name: "healthz",
  effect: "restart",
  schema: checkSettings({ period: "5s", timeout: "2s", failures: 3 }),
  async run(target, settings, _signal, history) {
    const result = await probe(target.httpUrl, "healthz", { timeoutMs: settings.timeout });
    // While the process still holds the listening socket seen last time, nothing else can
    // answer on the port; otherwise look the listener up again (a costly /proc scan).
    const known = history.at(-1)?.outcome.facts?.listener ?? target.listener;
    const held = known && holdsSocket(known);
    const listener = held ? null : findTcpListener(target.bot.port, [target.pid]);
    // The socket seen last time, now with no visible owner, is the supervised process's own
    // as it exits: its main thread is already a zombie (fds unreadable) while its other
    // threads still hold the socket. Its exit is a crash, for the supervisor; not a conflict.
    const exiting = listener?.pid === null && listener.inode === known?.inode;
    if (listener && !exiting && !isListenerOf(listener, target.pid)) {
      return {
        ok: false,
        message: `port ${target.bot.port} is answered by ${describeListener(listener)}, not the supervised gateway (pid ${target.pid})`,
        foreign: { pid: listener.pid, cmdline: listener.cmdline },
      };
    }
    const socket = held ? known : (listener?.socket ?? undefined);
    const facts = socket ? { listener: socket } : {};
    if (!result.ok) return { ok: false, message: result.message, facts };
    if (result.status !== 200 || !result.body.ok)
      return {
        ok: false,
        message: `/healthz answered ${result.status} ${result.body.status}`,
        facts,
      };
    return { ok: true, message: `live in ${result.latencyMs}ms`, facts };
  },
};
