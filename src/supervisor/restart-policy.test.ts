import { describe, expect, it } from "vitest";
import { DEFAULT_RESTART_POLICY as P, backoffDelayMs, decideRestart } from "./restart-policy.js";

describe("restart policy", () => {
  it("restarts at once, then backs off 1 s doubling to a 60 s cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => backoffDelayMs(P, n))).toEqual([
      0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ]);
  });

  it("never restarts exit 78", () => {
    expect(
      decideRestart(P, { failuresMs: [0], consecutive: 1, exitCode: 78, nowMs: 0 }),
    ).toMatchObject({
      action: "fail",
      escalate: false,
      reason: expect.stringMatching(/^exit 78/) as string,
    });
  });

  it("calls 10 failures in 10 minutes a crash loop and escalates", () => {
    const now = 10_000_000;
    const nine = Array.from({ length: 9 }, (_, i) => now - i * 60_000);
    expect(
      decideRestart(P, { failuresMs: nine, consecutive: 9, exitCode: 1, nowMs: now }).action,
    ).toBe("restart");
    const ten = [...nine, now - 500_000];
    expect(
      decideRestart(P, { failuresMs: ten, consecutive: 10, exitCode: 1, nowMs: now }),
    ).toMatchObject({
      action: "fail",
      escalate: true,
    });
    // Failures older than the window do not count.
    const old = [...nine, now - 700_000];
    expect(
      decideRestart(P, { failuresMs: old, consecutive: 10, exitCode: 1, nowMs: now }).action,
    ).toBe("restart");
  });
});
