import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { CHECKS } from "./index.js";

describe("the check registry", () => {
  it("gives every check its defaults when clawops.yaml says nothing", () => {
    const checks = configSchema.parse({}).supervisor.checks;
    expect(Object.keys(checks).sort()).toEqual(CHECKS.map((c) => c.name).sort());
    // The canary is a real chat turn, which costs tokens: the one check that is opt-in.
    const optIn = new Set(["canary"]);
    for (const check of CHECKS) {
      expect(checks[check.name], check.name).toMatchObject({ enabled: !optIn.has(check.name) });
      expect(checks[check.name]!.period, check.name).toBeGreaterThan(0);
      expect(checks[check.name]!.timeout, check.name).toBeLessThan(checks[check.name]!.period);
    }
    expect(checks.healthz).toMatchObject({ period: 5_000, timeout: 2_000, failures: 3 });
  });

  it("keeps the defaults of checks a partial config leaves out", () => {
    const checks = configSchema.parse({ supervisor: { checks: { rss: { maxBytes: 1024 } } } })
      .supervisor.checks;
    expect(checks.rss).toMatchObject({ maxBytes: 1024, period: 30_000 });
    expect(checks.readyz).toMatchObject({ enabled: true, failures: 2 });
  });

  it("names each check once", () => {
    expect(new Set(CHECKS.map((c) => c.name)).size).toBe(CHECKS.length);
  });
});
