import { describe, expect, it } from "vitest";
import { forEachBounded } from "./bounded.js";
import { sleep } from "./time.js";

describe("forEachBounded", () => {
  it("runs every item, in order, never more than the limit at once", async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      started.push(n);
      running += 1;
      most = Math.max(most, running);
      await sleep(5 + (n % 3) * 5);
      running -= 1;
    });
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it("finishes the others before it rejects with an escaped error", async () => {
    const done: number[] = [];
    const run = forEachBounded([1, 2, 3], 2, async (n) => {
      if (n === 1) throw new Error("boom");
      await sleep(5);
      done.push(n);
    });
    await expect(run).rejects.toThrow("boom");
    expect(done).toEqual([2, 3]);
  });
});
