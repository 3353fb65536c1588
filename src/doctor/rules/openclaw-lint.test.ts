import { describe, expect, it } from "vitest";
import type { OpenClawLint } from "../openclaw-facts.js";
import type { DoctorContext } from "../rule.js";
import { openclawLint } from "./openclaw-lint.js";

/** What `openclaw doctor --lint --json` 2026.9.6 answers for a gateway run with heartbeats off. */
const LINT: OpenClawLint = {
  ok: true,
  durationMs: 3_500,
  findings: [
    {
      checkId: "core/doctor/heartbeat-cadence-migration",
      severity: "warning",
      message: "Heartbeat cadence is configured in agents.defaults.heartbeat.every",
      fixHint: "Move it to a cron job",
    },
    {
      checkId: "core/doctor/node-hosting-preconditions",
      severity: "warning",
      message: "Gateway is only bound to loopback.",
    },
  ],
};

function context(heartbeat: unknown): DoctorContext {
  // Only what the rule reads: the config, the target and the lint's answer.
  return {
    config: { agents: { defaults: { heartbeat } } },
    target: { configFile: "/srv/bot/openclaw.json", stateDir: null, bot: null },
    openclawLint: () => Promise.resolve(LINT),
  } as unknown as DoctorContext;
}

describe("the openclaw lint rule", () => {
  it("drops OpenClaw's heartbeat migration when the config turns heartbeats off", async () => {
    const ids = (await openclawLint.check(context({ every: "0m" }))).map((f) => f.id);
    expect(ids).toEqual(["openclaw/core/doctor/node-hosting-preconditions"]);
  });

  it("keeps it, as info, while heartbeats run", async () => {
    const findings = await openclawLint.check(context({ every: "30m" }));
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ["openclaw/core/doctor/heartbeat-cadence-migration", "info"],
      ["openclaw/core/doctor/node-hosting-preconditions", "info"],
    ]);
  });
});
