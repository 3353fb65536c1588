import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { Bot } from "../core/bot.js";
import { checkSettings, type Check, type CheckOutcome } from "../checks/check.js";
import { runCheckLoop } from "./check-loop.js";

const TARGET = { bot: {} as Bot, httpUrl: "http://127.0.0.1:1", pid: 1, startedAtMs: 0 };

/** A check that answers `outcomes` in turn, recording when each run began. */
function scripted(outcomes: CheckOutcome[], startedAt: number[]): Check {
  return {
    name: "scripted",
    effect: "restart",
    schema: checkSettings({ period: "1s", timeout: "100ms", failures: 3 }),
    run() {
      startedAt.push(performance.now());
      return Promise.resolve(outcomes.shift() ?? { ok: true, message: "ok" });
    },
  };
}

describe("runCheckLoop", () => {
  it("runs again at once after an outcome that asks for it, then keeps its period", async () => {
    const startedAt: number[] = [];
    const check = scripted(
      [
        { ok: false, message: "stalled", rerunNow: true },
        { ok: false, message: "stalled again" },
      ],
      startedAt,
    );
    // A period far above a loaded host's scheduling delays: "at once" and "a period later" stay apart.
    const settings = { enabled: true, period: 1_000, timeout: 100, failures: 3 };
    const controller = new AbortController();
    const reports: { failures: number; message: string }[] = [];
    const loop = runCheckLoop(check, settings, TARGET, controller.signal, (r) => {
      reports.push({ failures: r.failures, message: r.outcome.message });
      if (reports.length === 3) controller.abort();
    });
    await loop;
    expect(reports).toEqual([
      { failures: 1, message: "stalled" },
      { failures: 2, message: "stalled again" },
      { failures: 0, message: "ok" },
    ]);
    const [first, second, third] = startedAt as [number, number, number];
    expect(second - first).toBeLessThan(500);
    // The period counts from the rerun's schedule (taken as the first run ended), start to start.
    expect(third - first).toBeGreaterThanOrEqual(1_000);
    expect(third - second).toBeGreaterThan(500);
  });

  it("shares one signal between runs until a run overruns, and aborts it when the loop stops", async () => {
    const seen: { signal: AbortSignal; abortedAtStart: boolean }[] = [];
    const check: Check = {
      ...scripted([], []),
      run(_target, _settings, signal) {
        seen.push({ signal, abortedAtStart: signal.aborted });
        // The second run never answers: it overruns its timeout.
        if (seen.length === 2) return new Promise<CheckOutcome>(() => undefined);
        return Promise.resolve({ ok: true, message: "ok" });
      },
    };
    const settings = { enabled: true, period: 0, timeout: 10, failures: 3 };
    const controller = new AbortController();
    const messages: string[] = [];
    await runCheckLoop(check, settings, TARGET, controller.signal, (r) => {
      messages.push(r.outcome.message);
      if (messages.length === 3) controller.abort();
    });
    expect(messages).toEqual(["ok", "no verdict within 10ms", "ok"]);
    const [first, second, third] = seen;
    expect(second!.signal).toBe(first!.signal);
    expect(first!.signal.aborted).toBe(true);
    expect(third!.signal).not.toBe(first!.signal);
    expect(seen.map((s) => s.abortedAtStart)).toEqual([false, false, false]);
    expect(third!.signal.aborted).toBe(true);
  });

  it("keeps nothing of a run once it has ended (thousands of runs, the heap stays flat)", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const heapAfterGc = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const check = scripted([], []);
    const settings = { enabled: true, period: 0, timeout: 1_000, failures: 3 };
    const runLoop = async (runs: number) => {
      const controller = new AbortController();
      let reports = 0;
      await runCheckLoop(check, settings, TARGET, controller.signal, () => {
        if (++reports === runs) controller.abort();
      });
    };
    await runLoop(200); // warm-up: code and caches
    const before = heapAfterGc();
    const controller = new AbortController();
    let reports = 0;
    let grown = 0;
    // Measured while the loop still runs: what its runs left behind, not what its end freed.
    await runCheckLoop(check, settings, TARGET, controller.signal, () => {
      if (++reports < 2_000) return;
      grown = heapAfterGc() - before;
      controller.abort();
    });
    // Node 20's AbortSignal.any + AbortSignal.timeout kept ~2 KB a run: 4 MB here.
    expect(grown).toBeLessThan(1024 * 1024);
  });
});
