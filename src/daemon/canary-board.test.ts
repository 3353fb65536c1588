import pino from "pino";
import { describe, expect, it } from "vitest";
import { describeCanary } from "../cli/commands/status.js";
import type { OpsEvent } from "../core/events.js";
import { EventBus } from "../events/bus.js";
import { CanaryBoard } from "./canary-board.js";
import { createMetrics } from "./metrics.js";

describe("the canary board", () => {
  it("counts every run by outcome, times the passes, and keeps each bot's last run", async () => {
    let id = 0;
    const bus = new EventBus(
      (batch) => Promise.resolve(batch.map((e): OpsEvent => ({ ...e, id: ++id }))),
      pino({ level: "silent" }),
    );
    const metrics = createMetrics();
    const board = new CanaryBoard(bus, metrics, (botId) => (botId === "b1" ? "alpha" : null));
    const run = (outcome: "pass" | "fail" | "skipped", latencyMs: number | null) =>
      bus.publish({
        type: "gateway.canary",
        botId: "b1",
        actor: "supervisor",
        data: {
          outcome,
          message: outcome,
          latencyMs,
          spentTodayUsd: 0.01,
          failures: outcome === "fail" ? 1 : 0,
          degrading: false,
        },
      });
    run("pass", 1500);
    run("fail", 300);
    run("skipped", null);
    await bus.flush(1_000);
    const text = await metrics.registry.metrics();
    expect(text).toContain('clawops_canary_runs_total{bot="alpha",outcome="pass"} 1');
    expect(text).toContain('clawops_canary_runs_total{bot="alpha",outcome="fail"} 1');
    expect(text).toContain('clawops_canary_runs_total{bot="alpha",outcome="skipped"} 1');
    // Only passes are timed: a failure's latency (an error in 0.3 s) is not the bot's.
    expect(text).toContain('clawops_canary_latency_seconds_count{bot="alpha"} 1');
    expect(text).toContain('clawops_canary_latency_seconds_sum{bot="alpha"} 1.5');
    expect(board.lastOf("b1")).toMatchObject({ outcome: "skipped", message: "skipped" });
    expect(board.lastOf("b2")).toBeNull();
    bus.close();
  });

  it("reads as a line of `clawops status`", () => {
    const at = "2031-01-01T00:00:00.000Z";
    const now = Date.parse(at) + 125_000;
    const run = { latencyMs: 1800, failures: 0, at };
    expect(describeCanary({ ...run, outcome: "pass", message: "replied in 1.8s" }, now)).toBe(
      "pass in 1.8s (2m05s ago)",
    );
    expect(
      describeCanary(
        { ...run, outcome: "fail", failures: 2, message: "expectation not met: ..." },
        now,
      ),
    ).toBe("fail (2 in a row): expectation not met: ... (2m05s ago)");
    expect(
      describeCanary({ ...run, outcome: "skipped", message: "skipped: budget cap (...)" }, now),
    ).toBe("skipped: budget cap (...) (2m05s ago)");
  });
});
