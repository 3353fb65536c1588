import { describe, expect, it } from "vitest";
import { attemptKeys, nextRunAfter, retryDelayMs } from "./task.js";

describe("tasks' pure rules", () => {
  it("gives every attempt of every task a session and run of its own", () => {
    expect(attemptKeys("t1", 1)).toEqual({
      sessionKey: "agent:main:clawops-task-t1-1",
      runId: "clawops-task-t1-1",
    });
    const keys = ["t1", "t2"].flatMap((id) => [1, 2].map((n) => attemptKeys(id, n).sessionKey));
    expect(new Set(keys).size).toBe(4);
  });

  it("waits 5 s before the second attempt, doubling, at most 5 minutes", () => {
    expect([2, 3, 4, 5].map((n) => retryDelayMs(n))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(retryDelayMs(20)).toBe(300_000);
    expect(retryDelayMs(3, 100)).toBe(200);
  });

  it("keeps a schedule's cadence, collapsing missed slots into the run just made", () => {
    const every = 60_000;
    // Fired on time: the next slot.
    expect(nextRunAfter(0, every, 0)).toBe(60_000);
    // Fired late within the period (a busy loop, a run that was still open): the slot after.
    expect(nextRunAfter(0, every, 59_000)).toBe(60_000);
    // Down for 10 periods and a bit: one run now, the next on the original cadence.
    expect(nextRunAfter(0, every, 605_000)).toBe(660_000);
    // Not due yet: unchanged.
    expect(nextRunAfter(120_000, every, 60_000)).toBe(120_000);
  });
});
