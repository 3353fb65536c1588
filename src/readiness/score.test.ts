import { describe, expect, it } from "vitest";
import { resolveOverall, resolveScore } from "./score.js";

describe("the readiness score", () => {
  it("is the weighted mean of pass 1, warn 0.5, fail 0, skips left out", () => {
    expect(resolveScore([{ status: "pass", weight: 1 }])).toBe(100);
    expect(
      resolveScore([
        { status: "pass", weight: 3 },
        { status: "warn", weight: 1 },
        { status: "fail", weight: 1 },
        { status: "skip", weight: 5 },
      ]),
    ).toBe(70);
    expect(resolveScore([{ status: "fail", weight: 2 }])).toBe(0);
  });

  it("rounds down: almost ready is not 100", () => {
    const results = [
      ...Array.from({ length: 199 }, () => ({ status: "pass" as const, weight: 1 })),
      { status: "warn" as const, weight: 1 },
    ];
    expect(resolveScore(results)).toBe(99);
  });

  it("claims nothing when nothing was scored", () => {
    expect(resolveScore([])).toBe(0);
    expect(resolveScore([{ status: "pass", weight: 0 }])).toBe(0);
    expect(resolveOverall([{ status: "skip" }])).toBe("fail");
  });

  it("takes the worst verdict as the report's", () => {
    expect(resolveOverall([{ status: "pass" }, { status: "skip" }])).toBe("pass");
    expect(resolveOverall([{ status: "pass" }, { status: "warn" }])).toBe("warn");
    expect(resolveOverall([{ status: "warn" }, { status: "fail" }])).toBe("fail");
  });
});
