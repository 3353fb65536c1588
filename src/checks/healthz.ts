import { checkLiveness } from "../gateway/liveness.js";
import { type Check, checkSettings } from "./check.js";

/**
 * Liveness: `/healthz` answers 200 from *this* instance (`checkLiveness`). Failing
 * `failures` times in a row means hung: restart. An answer from another process on the
 * port (a stale gateway, a foreign server) is never counted as healthy: it is reported as
 * a port conflict.
 */
export const healthz: Check = {
  name: "healthz",
  effect: "restart",
  schema: checkSettings({ period: "5s", timeout: "2s", failures: 3 }),
  async run(target, settings, _signal, history) {
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
    return { ok: liveness.live, message: liveness.message, facts };
  },
};
