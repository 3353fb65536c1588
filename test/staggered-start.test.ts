import { afterEach, describe, expect, it } from "vitest";
import { inState, startFleet, type TestFleet } from "./helpers/fleet.js";

/**
 * Staggered start (docs/hosts.md): `clawops up` brings back the
 * desired-running gateways at most `supervisor.startConcurrency` at a time.
 * Stand-in gateways that take 600 ms to boot make the bound visible.
 */
describe("staggered start", () => {
  let fleet: TestFleet | null = null;
  afterEach(async () => {
    await fleet?.close();
    fleet = null;
  });

  /** The most gateways in `starting` at once, from the supervisor's `gateway.state` events. */
  function mostStartingAtOnce(f: TestFleet): number {
    let now = 0;
    let most = 0;
    for (const event of f.events) {
      if (event.type !== "gateway.state") continue;
      if (event.data.to === "starting") now += 1;
      if (event.data.from === "starting") now -= 1;
      most = Math.max(most, now);
    }
    return most;
  }

  for (const [limit, bots] of [
    [2, 5],
    [5, 5],
  ] as const) {
    it(`boots ${bots} desired-running gateways at most ${limit} at a time`, async () => {
      fleet = await startFleet({
        startConcurrency: limit,
        checks: { wsHealth: { enabled: false } },
      });
      const names = Array.from({ length: bots }, (_, i) => `stagger-${i}`);
      for (const name of names)
        await fleet.addBot(name, { desiredState: "running" }, { bootMs: 600 });
      const started = Date.now();
      const resumed = fleet.supervisor.resumeAll();
      // The daemon's housekeeping reconciles meanwhile: it leaves the bots resumeAll has still
      // to take over (it once started them all at once, and resumeAll then adopted its own
      // children as strangers' processes, polling /proc for each).
      for (let i = 0; i < 4; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        await fleet.supervisor.reconcile("daemon");
      }
      await resumed;
      const tookMs = Date.now() - started;
      for (const name of names) await fleet.waitFor(name, inState("running"));
      const most = mostStartingAtOnce(fleet);
      console.log(
        `startConcurrency ${limit}: ${bots} boots, at most ${most} at once, ${tookMs} ms`,
      );
      expect(most).toBeLessThanOrEqual(limit);
      const adopted = fleet.events.filter(
        (e) => e.type === "gateway.state" && String(e.data.reason).startsWith("re-adopted"),
      );
      expect(adopted).toEqual([]);
      // The bound is used, not undershot: boots overlap up to it.
      expect(most).toBe(Math.min(limit, bots));
    });
  }
});
