import { describe, expect, it } from "vitest";
import { RetryGate } from "./service.js";

describe("RetryGate", () => {
  it("waits 5 s after a first failure, doubling up to 5 minutes", () => {
    let now = 1_000_000;
    const gate = new RetryGate(() => now);
    expect(gate.mayTry("a")).toBe(true);
    const waits = Array.from({ length: 9 }, () => gate.failed("a"));
    expect(waits).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000,
    ]);
    expect(gate.mayTry("a")).toBe(false);
    expect(gate.mayTry("b")).toBe(true);
    now += 299_999;
    expect(gate.mayTry("a")).toBe(false);
    now += 1;
    expect(gate.mayTry("a")).toBe(true);
  });

  it("forgets a key's failures once cleared", () => {
    let now = 0;
    const gate = new RetryGate(() => now);
    gate.failed("a");
    gate.failed("a");
    gate.clear("a");
    expect(gate.mayTry("a")).toBe(true);
    expect(gate.failed("a")).toBe(5_000);
    now += 5_000;
    expect(gate.mayTry("a")).toBe(true);
  });
});
