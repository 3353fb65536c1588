import { describe, expect, it } from "vitest";
import { checkBudget } from "./budget.js";

const MIN = 60_000;
const policy = { maxPerHour: 3, cooldownMs: 30 * MIN };

describe("repair budget (injected clock)", () => {
  it("allows three automatic repairs within an hour, then cools down for 30 minutes", () => {
    expect(checkBudget([], 0, policy)).toEqual({ allowed: true, remaining: 3 });
    expect(checkBudget([0], 1 * MIN, policy)).toEqual({ allowed: true, remaining: 2 });
    expect(checkBudget([0, 1 * MIN], 2 * MIN, policy)).toEqual({ allowed: true, remaining: 1 });
    const spent = checkBudget([0, 1 * MIN, 2 * MIN], 3 * MIN, policy);
    expect(spent).toMatchObject({ allowed: false, untilMs: 32 * MIN });
    expect(!spent.allowed && spent.reason).toMatch(/3 automatic repairs within an hour/);
    expect(checkBudget([0, 1 * MIN, 2 * MIN], 31 * MIN, policy).allowed).toBe(false);
  });

  it("starts afresh after the cooldown, not an hour after the first repair", () => {
    expect(checkBudget([0, 1 * MIN, 2 * MIN], 32 * MIN, policy)).toEqual({
      allowed: true,
      remaining: 3,
    });
    const again = [0, 1 * MIN, 2 * MIN, 33 * MIN, 34 * MIN, 35 * MIN];
    expect(checkBudget(again, 36 * MIN, policy)).toMatchObject({
      allowed: false,
      untilMs: 65 * MIN,
    });
  });

  it("forgets repairs older than an hour when no cooldown was reached", () => {
    expect(checkBudget([0, 10 * MIN], 61 * MIN, policy)).toEqual({ allowed: true, remaining: 2 });
    expect(checkBudget([0, 10 * MIN], 71 * MIN, policy)).toEqual({ allowed: true, remaining: 3 });
  });

  it("honours another budget and ignores repairs in the future of the clock", () => {
    const one = { maxPerHour: 1, cooldownMs: 5 * MIN };
    expect(checkBudget([0], 1 * MIN, one)).toMatchObject({ allowed: false, untilMs: 5 * MIN });
    expect(checkBudget([10 * MIN], 1 * MIN, one)).toEqual({ allowed: true, remaining: 1 });
  });
});
