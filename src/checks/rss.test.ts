import { describe, expect, it } from "vitest";
import { resolveSlopePerHour } from "./rss.js";

const MIB = 1024 ** 2;

describe("RSS slope", () => {
  it("fits a line through noisy samples, in bytes per hour", () => {
    // 100 MiB/h for 30 minutes, sampled every 30 s, with ±2 MiB of noise.
    const samples = Array.from({ length: 61 }, (_, i) => ({
      atMs: i * 30_000,
      bytes: 500 * MIB + (i * 30_000 * 100 * MIB) / 3_600_000 + (i % 2 ? 2 : -2) * MIB,
    }));
    expect(resolveSlopePerHour(samples)! / MIB).toBeCloseTo(100, 0);
  });

  it("is flat for steady memory and undefined without spread in time", () => {
    const steady = Array.from({ length: 10 }, (_, i) => ({ atMs: i * 1000, bytes: 300 * MIB }));
    expect(resolveSlopePerHour(steady)).toBe(0);
    expect(
      resolveSlopePerHour([
        { atMs: 5, bytes: 1 },
        { atMs: 5, bytes: 9 },
      ]),
    ).toBeNull();
  });
});
