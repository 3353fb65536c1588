import pino from "pino";
import { describe, expect, it } from "vitest";
import { Loops } from "./loops.js";

describe("Loops", () => {
  it("runs work every period until aborted, and reports failing and stalled loops", async () => {
    const loops = new Loops(pino({ level: "silent" }));
    const abort = new AbortController();
    let runs = 0;
    loops.every("ticker", 20, abort.signal, async () => {
      runs += 1;
    });
    loops.every("broken", 20, abort.signal, async () => {
      throw new Error("disk full");
    });
    await new Promise((r) => setTimeout(r, 110));
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(loops.check()).toEqual([
      { name: "ticker", ok: true },
      { name: "broken", ok: false, reason: "disk full" },
    ]);
    abort.abort();
    await loops.settled();
    const after = runs;
    await new Promise((r) => setTimeout(r, 60));
    expect(runs).toBe(after);
    // Three periods plus a second of grace without a run: stalled.
    const [ticker] = loops.check(Date.now() + 2_000);
    expect(ticker).toMatchObject({ name: "ticker", ok: false });
    expect(ticker!.reason).toMatch(/^stalled: no run for \d+ms$/);
  });
});
