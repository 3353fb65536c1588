import { describe, expect, it } from "vitest";
import { type FailedRun, resolveHang } from "./hang.js";

/** A timed-out probe from `fromMs` to `toMs`: state and CPU ticks at each end. */
function run(
  fromMs: number,
  toMs: number,
  [stateBefore, ticksBefore]: [string, number],
  [stateAfter, ticksAfter]: [string, number],
): FailedRun {
  return {
    before: { atMs: fromMs, state: stateBefore, cpuTicks: ticksBefore },
    after: { atMs: toMs, state: stateAfter, cpuTicks: ticksAfter },
  };
}

describe("resolveHang", () => {
  it("calls a stopped process hung after two timed-out probes over 3 s without CPU", () => {
    const first = run(5_000, 7_000, ["T", 726], ["T", 726]);
    // One run is a suspicion to confirm at once, not a verdict.
    expect(resolveHang([first])).toEqual({
      kind: "stalled",
      stalledMs: 2_000,
      evidence: "was stopped (state T) and used no CPU for 2.0s",
    });
    expect(resolveHang([first, run(7_001, 9_001, ["T", 726], ["T", 726])])).toEqual({
      kind: "hung",
      stalledMs: 4_001,
      evidence: "was stopped (state T) and used no CPU for 4.0s",
    });
  });

  it("calls a deadlocked (asleep, no CPU) or traced process hung the same way", () => {
    const asleep = [run(0, 2_000, ["S", 10], ["S", 10]), run(2_000, 4_000, ["S", 10], ["S", 10])];
    expect(resolveHang(asleep)).toMatchObject({ kind: "hung", stalledMs: 4_000 });
    const traced = [run(0, 2_000, ["t", 10], ["t", 10]), run(2_000, 4_000, ["t", 10], ["t", 10])];
    expect(resolveHang(traced)).toMatchObject({
      kind: "hung",
      evidence: "was stopped by a tracer (state t) and used no CPU for 4.0s",
    });
  });

  it("never calls a process that used CPU during the probe hung: it is busy, not hung", () => {
    // A gateway on a saturated host: its probe timed out, but it ran.
    const busy = [run(0, 2_000, ["S", 10], ["S", 10]), run(2_000, 4_000, ["R", 10], ["S", 11])];
    expect(resolveHang(busy)).toEqual({
      kind: "working",
      evidence: "used 10ms of CPU during the probe",
    });
  });

  it("takes a runnable, I/O-bound or exiting process for working, whatever its CPU time", () => {
    const still = (state: string) => [
      run(0, 2_000, ["S", 10], ["S", 10]),
      run(2_000, 4_000, [state, 10], [state, 10]),
    ];
    expect(resolveHang(still("R"))).toEqual({
      kind: "working",
      evidence: "was runnable, waiting for a CPU (state R)",
    });
    expect(resolveHang(still("D"))).toMatchObject({ kind: "working" });
    expect(resolveHang(still("Z"))).toMatchObject({ kind: "working" });
    // One runnable sample, even at the start of the probe, is enough to doubt a stall.
    expect(resolveHang([run(0, 2_000, ["R", 10], ["S", 10])])).toMatchObject({ kind: "working" });
  });

  it("counts only the tail without CPU: progress before it, or between runs, starts it afresh", () => {
    const ranEarlier = [run(0, 2_000, ["S", 5], ["S", 9]), run(5_000, 7_000, ["S", 9], ["S", 9])];
    expect(resolveHang(ranEarlier)).toMatchObject({ kind: "stalled", stalledMs: 2_000 });
    // Still during each probe, but it ran in the gap between them (9 → 12 ticks).
    const ranBetween = [run(0, 2_000, ["S", 9], ["S", 9]), run(2_100, 4_100, ["S", 12], ["S", 12])];
    expect(resolveHang(ranBetween)).toMatchObject({ kind: "stalled", stalledMs: 2_000 });
  });

  it("wants both two runs and 3 s: short timeouts keep looking", () => {
    const short = [run(0, 150, ["T", 1], ["T", 1]), run(150, 300, ["T", 1], ["T", 1])];
    expect(resolveHang(short)).toMatchObject({ kind: "stalled", stalledMs: 300 });
    const many = Array.from({ length: 20 }, (_, i) =>
      run(i * 150, (i + 1) * 150, ["T", 1], ["T", 1]),
    );
    expect(resolveHang(many)).toMatchObject({ kind: "hung", stalledMs: 3_000 });
  });

  it("has no verdict without samples (not a timeout, or /proc unreadable)", () => {
    expect(resolveHang([])).toEqual({ kind: "unknown" });
    expect(resolveHang([{ before: null, after: null }])).toEqual({ kind: "unknown" });
    const gap = [{ before: null, after: null }, run(2_000, 4_000, ["T", 1], ["T", 1])];
    expect(resolveHang(gap)).toMatchObject({ kind: "stalled", stalledMs: 2_000 });
  });
});
