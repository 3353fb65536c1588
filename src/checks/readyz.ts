import { probe } from "../gateway/probes.js";
import { type Check, checkSettings } from "./check.js";

/**
 * Readiness: `/readyz`. Not ready means degraded, never a restart by itself:
 * a channel or agent database that fails is not fixed by restarting, and
 * restarting on it loops.
 */
export const readyz: Check = {
  name: "readyz",
  effect: "degrade",
  schema: checkSettings({ period: "5s", timeout: "2s", failures: 2 }),
  async run(target, settings) {
    const result = await probe(target.httpUrl, "readyz", { timeoutMs: settings.timeout });
    if (!result.ok) return { ok: false, message: result.message };
    const { ready, failing, uptimeMs } = result.body;
    const facts = { ready, ...(uptimeMs !== undefined ? { uptimeMs } : {}) };
    if (ready) return { ok: true, message: "ready", facts };
    return {
      ok: false,
      message: `not ready: failing ${failing.join(", ") || "(none listed)"}`,
      facts,
    };
  },
};
