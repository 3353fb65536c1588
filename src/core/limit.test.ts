import { describe, expect, it } from "vitest";
import { concurrencyLimit, forEachBounded } from "./limit.js";
import { sleep } from "./time.js";

/** A promise and its resolve, to finish work when the test says so. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("concurrencyLimit", () => {
  it("never runs more than its limit, and starts waiters in arrival order", async () => {
    const limit = concurrencyLimit(2);
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const all = gates.map((gate, i) =>
      limit(async () => {
        started.push(i);
        running += 1;
        most = Math.max(most, running);
        await gate.promise;
        running -= 1;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    await new Promise((r) => setImmediate(r));
    // A newcomer arriving while a place is handed over must not take it as well.
    const late = limit(() => Promise.resolve(99));
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4]);
    expect(await late).toBe(99);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it("frees the place of a failed call and passes its error on", async () => {
    const limit = concurrencyLimit(1);
    await expect(limit(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await limit(() => Promise.resolve("next"))).toBe("next");
  });

  it("refuses a limit below one", () => {
    expect(() => concurrencyLimit(0)).toThrow(RangeError);
    expect(() => concurrencyLimit(1.5)).toThrow(RangeError);
  });
});

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
