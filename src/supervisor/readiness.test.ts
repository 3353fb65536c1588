import { describe, expect, it } from "vitest";
import { ReadinessTracker } from "./readiness.js";

describe("ReadinessTracker", () => {
  it("keeps a live gateway starting until every degrading check has passed once", () => {
    const tracker = new ReadinessTracker(60_000);
    tracker.live(12_000, performance.now() - 15_000, 0);
    tracker.reset(["readyz", "wsHealth"]);
    expect(tracker.change("starting", 1_000)).toBeNull();
    // One failure while booting is not degraded: not yet ready is normal for a few seconds.
    tracker.record("readyz", false, "not ready: failing startup-sidecars", false);
    tracker.record("wsHealth", true, "ok", false);
    expect(tracker.change("starting", 2_000)).toBeNull();
    tracker.record("readyz", true, "ready", false);
    const change = tracker.change("starting", 3_000);
    expect(change).toMatchObject({ to: "running", data: { liveMs: 12_000 } });
    expect(change?.reason).toMatch(/^ready after \d+ms, live after 12000ms$/);
  });

  it("calls a gateway not ready by the timeout degraded, with what is still failing", () => {
    const tracker = new ReadinessTracker(60_000);
    tracker.live(9_000, performance.now(), 0);
    tracker.reset(["readyz"]);
    tracker.record("readyz", false, "not ready: failing channels", false);
    expect(tracker.change("starting", 59_999)).toBeNull();
    expect(tracker.change("starting", 60_000)).toEqual({
      to: "degraded",
      reason: "not ready 60s after boot: readyz: not ready: failing channels",
    });
  });

  it("after boot: degraded once a check trips, running again once none fails", () => {
    const tracker = new ReadinessTracker(60_000);
    tracker.live(9_000, performance.now(), 0);
    tracker.reset(["readyz"]);
    tracker.record("readyz", true, "ready", false);
    tracker.record("readyz", false, "not ready: failing db", false);
    expect(tracker.change("running")).toBeNull();
    tracker.record("readyz", false, "not ready: failing db", true);
    expect(tracker.change("running")).toEqual({
      to: "degraded",
      reason: "readyz: not ready: failing db",
    });
    tracker.record("readyz", true, "ready", false);
    expect(tracker.change("degraded")).toEqual({ to: "running", reason: "ready again" });
    // Stopped: nothing to say until the next process is live.
    tracker.clear();
    expect(tracker.change("starting")).toBeNull();
  });
});
