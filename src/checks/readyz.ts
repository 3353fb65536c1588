import { probe } from "../gateway/probes.js";
import { type Check, checkSettings } from "./check.js";

/**
 * Readiness: `/readyz` (and the gateway's version from `/startupz`). Not ready means degraded, never a restart by itself:
 * a channel or agent database that fails is not fixed by restarting, and
 * restarting on it loops.
 */
export const readyz: Check = {
  name: "readyz",
  effect: "degrade",
  gatesReadiness: true,
  schema: checkSettings({ period: "5s", timeout: "2s", failures: 2 }),
  async run(target, settings, _signal, history) {
    // The version comes from /startupz, asked until one run has it (once per process, mostly).
    const versionKnown = history.some((h) => h.outcome.facts?.version);
    const [result, startupz] = await Promise.all([
      probe(target.httpUrl, "readyz", { timeoutMs: settings.timeout }),
      versionKnown ? null : probe(target.httpUrl, "startupz", { timeoutMs: settings.timeout }),
    ]);
    const version = startupz?.ok ? startupz.body.version : undefined;
    if (!result.ok)
      return { ok: false, message: result.message, facts: version ? { version } : {} };
    const { ready, failing, uptimeMs } = result.body;
    const facts = {
      ready,
      ...(uptimeMs !== undefined ? { uptimeMs } : {}),
      ...(version ? { version } : {}),
    };
    if (ready) return { ok: true, message: "ready", facts };
    return {
      ok: false,
      message: `not ready: failing ${failing.join(", ") || "(none listed)"}`,
      facts,
    };
  },
};
