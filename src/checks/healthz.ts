import { probe } from "../gateway/probes.js";
import { describeListener, findTcpListener, isListenerOf } from "../system/proc.js";
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
  async run(target, settings) {
    const result = await probe(target.httpUrl, "healthz", { timeoutMs: settings.timeout });
    const listener = findTcpListener(target.bot.port, [target.pid]);
    if (listener && !isListenerOf(listener, target.pid)) {
      return {
        ok: false,
        message: `port ${target.bot.port} is answered by ${describeListener(listener)}, not the supervised gateway (pid ${target.pid})`,
        foreign: { pid: listener.pid, cmdline: listener.cmdline },
      };
    }
    if (!result.ok) return { ok: false, message: result.message };
    if (result.status !== 200 || !result.body.ok)
      return { ok: false, message: `/healthz answered ${result.status} ${result.body.status}` };
    return { ok: true, message: `live in ${result.latencyMs}ms` };
  },
};
