import { describe, expect, it } from "vitest";
import { formatDurationMs, resolveDurationMs } from "./duration.js";

describe("durations", () => {
  it.each([
    ["250ms", 250],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1.5h", 5_400_000],
    ["1d", 86_400_000],
    [" 10s ", 10_000],
    ["1500", 1500],
    [42, 42],
  ] as const)("parses %j", (text, ms) => expect(resolveDurationMs(text)).toBe(ms));

  it.each(["", "s", "10 parsecs", "-5s", "5 m", "1e3", -1, Number.NaN])("rejects %j", (text) =>
    expect(resolveDurationMs(text)).toBeUndefined(),
  );

  it("formats for people", () => {
    expect(formatDurationMs(850)).toBe("850ms");
    expect(formatDurationMs(12_340)).toBe("12.3s");
    expect(formatDurationMs(245_000)).toBe("4m05s");
    expect(formatDurationMs(7_800_000)).toBe("2h10m");
    expect(formatDurationMs(90_000_000)).toBe("1d01h");
  });
});
