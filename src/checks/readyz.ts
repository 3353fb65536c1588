import { probeGatewayHttp } from "../gateway/probes.js";
import { type Check, checkSettings } from "./check.js";

/**
 * Readiness: `/readyz` (and the version and uptime from `/startupz`). Not
 * ready means degraded, never a restart by itself: a channel or agent
 * database that fails is not fixed by restarting, and restarting on it loops.
 */
export const readyz: Check = {
  name: "readyz",
  effect: "degrade",
  schema: checkSettings({ period: "5s", timeout: "2s", failures: 2 }),
  async run(target, settings) {
    const report = await probeGatewayHttp(target.httpUrl, { timeoutMs: settings.timeout });
    const facts = {
      ready: report.ready,
      ...(report.version ? { version: report.version } : {}),
      ...(report.uptimeMs !== null ? { uptimeMs: report.uptimeMs } : {}),
    };
    if (report.ready) return { ok: true, message: "ready", facts };
    const why = report.isOpenClaw
      ? `not ready: failing ${report.failing.join(", ") || "(none listed)"}`
      : "no readiness answer";
    return { ok: false, message: why, facts };
  },
};
