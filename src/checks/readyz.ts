import { checkReadiness } from "../gateway/liveness.js";
import { probe } from "../gateway/probes.js";
import { type Check, type CheckOutcome, checkSettings } from "./check.js";

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
    const [readiness, startupz] = await Promise.all([
      checkReadiness(target.bot.port, settings.timeout),
      versionKnown ? null : probe(target.httpUrl, "startupz", { timeoutMs: settings.timeout }),
    ]);
    const version = startupz?.ok ? startupz.body.version : undefined;
    const uptimeMs = readiness.body?.uptimeMs;
    // Filled in, not spread together: on Node 20 each spread-and-extend made new hidden
    // classes, freed only by a full GC.
    const facts: NonNullable<CheckOutcome["facts"]> = {};
    if (readiness.body) facts.ready = readiness.ready;
    if (uptimeMs !== undefined) facts.uptimeMs = uptimeMs;
    if (version) facts.version = version;
    return { ok: readiness.ready, message: readiness.message, facts };
  },
};
