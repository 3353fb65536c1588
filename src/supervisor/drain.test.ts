import { describe, expect, it } from "vitest";
import { describeDrain, drainTurns } from "./drain.js";

describe("drainTurns", () => {
  it("waits until the turns in flight are done, and says how long", async () => {
    const counts = [2, 2, 1, 0];
    const waiting: number[] = [];
    const outcome = await drainTurns(
      () => Promise.resolve(counts.shift() ?? 0),
      5_000,
      (n) => waiting.push(n),
      5,
    );
    expect(waiting).toEqual([2]);
    expect(outcome).toMatchObject({ atStart: 2, left: 0 });
    expect(describeDrain(outcome)).toMatch(/^after 2 chat turn\(s\) in flight finished \(\d+ms\)$/);
  });

  it("gives up when the budget is spent, and says what was left", async () => {
    const outcome = await drainTurns(
      () => Promise.resolve(3),
      60,
      () => undefined,
      10,
    );
    expect(outcome.left).toBe(3);
    expect(outcome.waitedMs).toBeGreaterThanOrEqual(50);
    expect(outcome.waitedMs).toBeLessThan(1_000);
    expect(describeDrain(outcome)).toBe(
      "drain budget spent with 3 of 3 chat turn(s) still in flight",
    );
  });

  it("does not wait for a gateway that cannot say (hung, not followed) or has nothing in flight", async () => {
    for (const count of [() => Promise.resolve(null), () => Promise.reject(new Error("timeout"))]) {
      const outcome = await drainTurns(count, 5_000, () => undefined);
      expect(outcome).toEqual({ atStart: null, left: 0, waitedMs: 0 });
      expect(describeDrain(outcome)).toBeNull();
    }
    expect(
      await drainTurns(
        () => Promise.resolve(0),
        5_000,
        () => undefined,
      ),
    ).toEqual({
      atStart: 0,
      left: 0,
      waitedMs: 0,
    });
  });
});
