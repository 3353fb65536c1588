import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { renderReadinessMarkdown } from "../cli/readiness-render.js";
import { configSchema } from "../config/schema.js";
import { type ReadinessDeps, componentSchema, defineCheck } from "./check.js";
import type { PlannedComponent } from "./plan.js";
import { runReadiness } from "./runner.js";

const schema = componentSchema("probe", { weight: 1, timeout: "1s" }, {});

/** A check whose behaviour the test picks: answers after `ms` with `status`, or throws. */
function planned(
  name: string,
  behaviour: { ms?: number; status?: "pass" | "warn" | "fail"; throws?: string; say?: string },
  timeout = 1_000,
): PlannedComponent {
  const check = defineCheck({
    id: "probe",
    title: "Probe",
    schema,
    target: () => `target-of-${name}`,
    async run(_config, _deps, signal) {
      await new Promise((resolve) => setTimeout(resolve, behaviour.ms ?? 0));
      if (behaviour.throws) throw new Error(behaviour.throws);
      return {
        status: behaviour.status ?? "pass",
        summary: behaviour.say ?? `${name} is fine (aborted: ${signal.aborted})`,
        evidence: { b: 2, a: 1 },
        fix: "do something",
        timings: { measuredMs: 5 },
      };
    },
  });
  return {
    name,
    check: check,
    config: { check: "probe", weight: 1, timeout, apiKeyEnv: "PROBE_KEY" },
    source: "readiness.components[0]",
  };
}

const deps = (env: NodeJS.ProcessEnv = {}): ReadinessDeps => ({
  env,
  now: () => Date.parse("2026-12-01T08:00:00Z"),
  config: configSchema.parse({}),
  store: null,
  gatewayTarget: () => Promise.reject(new Error("no bots")),
  scratchDir: tmpdir(),
});

describe("the readiness runner", () => {
  it("runs components at once, each within its timeout, sorted by name", async () => {
    const started = Date.now();
    const report = await runReadiness(
      [
        planned("zeta", { ms: 300 }),
        planned("alpha", { ms: 300, status: "warn" }),
        planned("slow", { ms: 5_000 }, 200),
        planned("broken", { throws: "boom" }),
      ],
      deps(),
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(report.results.map((r) => [r.name, r.status])).toEqual([
      ["alpha", "warn"],
      ["broken", "fail"],
      ["slow", "fail"],
      ["zeta", "pass"],
    ]);
    expect(report.results[2]!.summary).toBe("no answer within 200 ms");
    expect(report.results[2]!.fix).toContain("readiness.components[0]");
    expect(report.results[1]!.summary).toBe("the check failed: boom");
    // A pass carries no fix; timings live apart from the stable part.
    expect(report.results[3]!.fix).toBeUndefined();
    expect(report.results[3]).not.toHaveProperty("timings");
    expect(report.timings.components.zeta).toMatchObject({ measuredMs: 5 });
    expect(report.timings.components.zeta!.durationMs).toBeGreaterThanOrEqual(250);
    expect(report.score).toBe(37); // (1 + 0.5 + 0 + 0) / 4
    expect(report.counts).toEqual({ pass: 1, warn: 1, fail: 2, skip: 0 });
  });

  it("masks the secrets a component names, wherever a check echoes them", async () => {
    const secret = "sk-probe-0123456789abcdef";
    const report = await runReadiness(
      [planned("leaky", { say: `the server said: bad key ${secret}` })],
      deps({ PROBE_KEY: secret }),
    );
    expect(JSON.stringify(report)).not.toContain(secret);
    expect(report.results[0]!.summary).toContain("[REDACTED]");
  });

  it("renders Markdown that is the same for the same findings, whatever the clock", async () => {
    const plan = [planned("b", { status: "fail" }), planned("a", {})];
    const one = await runReadiness(plan, deps());
    const two = await runReadiness([...plan].reverse(), { ...deps(), now: () => 0 });
    expect(renderReadinessMarkdown(one)).toBe(renderReadinessMarkdown(two));
    const markdown = renderReadinessMarkdown(one);
    expect(markdown).toMatch(/^# Production readiness: 50\/100 \(fail\)$/m);
    expect(markdown).toContain("| ❌ fail | b | Probe | target-of-b |");
    expect(markdown).toContain("- **b** (fail): do something");
    // Evidence keys sorted.
    expect(markdown.indexOf("- a: 1")).toBeLessThan(markdown.indexOf("- b: 2"));
    expect(markdown).not.toMatch(/2026-12-01|measuredMs/);
  });
});
