import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GatewayState } from "../core/gateway-state.js";
import type { RepairRecord } from "../core/repair.js";
import { message } from "../store/session-store.contract.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import {
  buildFleetHealth,
  healthScore,
  openRepairs,
  stateSpans,
  timeIn,
  uptimeOf,
} from "./health.js";

const at = (iso: string) => Date.parse(iso);
const MIN = 60_000;

describe("a bot's health", () => {
  it("splits a window into status spans from its state changes, neighbours merged", () => {
    const start = at("2031-06-01T00:00:00Z");
    const spans = stateSpans(
      [
        { at: start - MIN, to: "running" }, // before the window: sets where it begins
        { at: start + 10 * MIN, to: "crashed" },
        { at: start + 11 * MIN, to: "backoff" }, // still down: merged
        { at: start + 12 * MIN, to: "starting" },
        { at: start + 13 * MIN, to: "running" },
        { at: start + 60 * MIN, to: "stopped" },
        { at: start + 200 * MIN, to: "running" }, // after the window
      ],
      "stopped",
      start,
      start + 120 * MIN,
    );
    expect(spans.map((s) => [(s.start - start) / MIN, (s.end - start) / MIN, s.status])).toEqual([
      [0, 10, "up"],
      [10, 12, "down"],
      [12, 13, "degraded"],
      [13, 60, "up"],
      [60, 120, "off"],
    ]);
    const time = timeIn(spans);
    // 60 minutes meant to run, 2 of them down.
    expect(uptimeOf(time)).toBeCloseTo(58 / 60, 9);
    expect(timeIn(spans, start + 5 * MIN, start + 11 * MIN)).toEqual(
      new Map([
        ["up", 5 * MIN],
        ["down", MIN],
      ]),
    );
    expect(uptimeOf(timeIn(stateSpans([], "stopped", start, start + MIN)))).toBeNull();
  });

  it("scores uptime, failed messages and repairs, and gives an off bot no score", () => {
    expect(healthScore({ uptime: 1, errorRate: null, repairs: 0 })).toBe(100);
    expect(healthScore({ uptime: 1, errorRate: 0, repairs: 0 })).toBe(100);
    // Down 5 % of the time: half the uptime points.
    expect(healthScore({ uptime: 0.95, errorRate: 0, repairs: 0 })).toBe(70);
    expect(healthScore({ uptime: 0.5, errorRate: 0, repairs: 0 })).toBe(40);
    // 5 % failed messages: half the error points; 10 % or more: none.
    expect(healthScore({ uptime: 1, errorRate: 0.05, repairs: 0 })).toBe(88);
    expect(healthScore({ uptime: 1, errorRate: 0.5, repairs: 0 })).toBe(75);
    expect(healthScore({ uptime: 1, errorRate: 0, repairs: 1 })).toBe(95);
    expect(healthScore({ uptime: 1, errorRate: 0, repairs: 7 })).toBe(85);
    expect(healthScore({ uptime: 0, errorRate: 1, repairs: 9 })).toBe(0);
    expect(healthScore({ uptime: null, errorRate: 0, repairs: 0 })).toBeNull();
  });

  it("counts running repairs and escalated ones since the last recovery as open", () => {
    const repair = (startedAt: string, outcome: RepairRecord["outcome"]) =>
      ({ startedAt, outcome }) as RepairRecord;
    expect(
      openRepairs([
        repair("2031-06-01T01:00:00Z", "escalated"),
        repair("2031-06-01T02:00:00Z", "recovered"),
        repair("2031-06-01T03:00:00Z", "escalated"),
        repair("2031-06-01T04:00:00Z", "skipped"),
        repair("2031-06-01T05:00:00Z", "running"),
      ]),
    ).toBe(2);
    expect(openRepairs([repair("2031-06-01T01:00:00Z", "recovered")])).toBe(0);
  });
});

describe("a fleet's health from the store", () => {
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "clawops-health-"));
    store = openSqliteStore(path.join(dir, "clawops.db"));
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sums each bot's restarts, crashes, uptime, failed messages, repairs and spend today", async () => {
    const now = at("2031-06-01T12:00:00Z");
    const bot = (name: string, port: number) =>
      store.createBot({
        name,
        owner: null,
        driver: "process",
        stateDir: path.join(dir, name),
        configPath: path.join(dir, name, "openclaw.json"),
        port,
        desiredState: "running",
        labels: {},
        openclawBin: null,
      });
    const [flaky, calm, idle] = [
      await bot("flaky", 20_001),
      await bot("calm", 20_002),
      await bot("idle", 20_003),
    ];
    const change = (botId: string, iso: string, from: GatewayState, to: GatewayState) => ({
      ts: iso,
      type: "gateway.state",
      version: 1,
      botId,
      actor: "supervisor",
      data: { from, to, reason: "test", pid: null, inStateMs: 0 },
    });
    await store.appendEvents([
      // Two days ago: outside the 24 h window, inside 7 d.
      change(flaky.id, "2031-05-30T12:00:00Z", "running", "crashed"),
      change(flaky.id, "2031-05-30T12:30:00Z", "crashed", "starting"),
      change(flaky.id, "2031-05-30T12:31:00Z", "starting", "running"),
      // In the window: a user start, a crash (5 minutes down, then a restart), a planned restart.
      change(flaky.id, "2031-06-01T00:00:00Z", "stopped", "starting"),
      change(flaky.id, "2031-06-01T00:01:00Z", "starting", "running"),
      change(flaky.id, "2031-06-01T06:00:00Z", "running", "crashed"),
      change(flaky.id, "2031-06-01T06:05:00Z", "crashed", "starting"),
      change(flaky.id, "2031-06-01T06:06:00Z", "starting", "running"),
      change(flaky.id, "2031-06-01T08:00:00Z", "running", "starting"),
      change(flaky.id, "2031-06-01T08:01:00Z", "starting", "running"),
    ]);
    const repair = (
      id: string,
      startedAt: string,
      outcome: RepairRecord["outcome"],
    ): RepairRecord => ({
      id,
      botId: flaky.id,
      botName: "flaky",
      trigger: "crash",
      cause: "killed by SIGKILL",
      startedBy: "repair",
      dryRun: false,
      outcome,
      tier: 1,
      summary: outcome,
      actions: [],
      evidence: {},
      faultAt: startedAt,
      detectedAt: startedAt,
      startedAt,
      endedAt: startedAt,
      recoveredAt: null,
    });
    await store.saveRepair(repair("r1", "2031-06-01T06:00:01Z", "recovered"));
    await store.saveRepair(repair("r2", "2031-06-01T09:00:00Z", "escalated"));
    await store.saveRepair(repair("r3", "2031-05-21T09:00:00Z", "escalated")); // outside 7 d
    const usage = { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, costUsd: 0.5 };
    await store.sessions.addMessages([
      message(calm.id, "s", 0, { at: "2031-06-01T10:00:00Z" }),
      message(calm.id, "s", 1, { role: "assistant", at: "2031-06-01T10:00:01Z", usage }),
      // Yesterday (UTC) but in the last 24 h: a message of the window, not spend of today.
      message(calm.id, "s", 2, { role: "assistant", at: "2031-05-31T23:00:00Z", usage }),
      message(calm.id, "s", 3, { role: "assistant", isError: true, at: "2031-06-01T10:01:00Z" }),
    ]);
    const instances = async () => [
      { botId: flaky.id, state: "running" as const, rssSamples: [100, 120, 110] },
      { botId: calm.id, state: "running" as const, rssSamples: [] },
    ];
    const day = await buildFleetHealth({ store, window: "24h", instances, now });
    const of = (name: string) => day.bots.find((b) => b.bot === name)!;

    expect(of("flaky")).toMatchObject({
      restarts: 2,
      crashes: 1,
      repairs: 2,
      openRepairs: 1,
      messages: 0,
      errorRate: null,
      rssSamples: [100, 120, 110],
    });
    // Stopped until its start at midnight (not meant to run), then 5 of 720 minutes down.
    const uptime = 1 - 5 / 720;
    expect(of("flaky").uptime).toBeCloseTo(uptime, 9);
    expect(of("flaky").score).toBe(Math.round(60 * ((uptime - 0.9) / 0.1) + 25 + 15 * (1 / 3)));
    expect(of("flaky").spans).toBeUndefined();
    expect(of("calm")).toMatchObject({
      restarts: 0,
      uptime: 1,
      messages: 4,
      errors: 1,
      costTodayUsd: 0.5,
    });
    expect(of("calm").errorRate).toBe(1 / 4);
    // No record of a gateway: never meant to run as far as clawops saw it, so no score. Its strip
    // begins when it was registered, not before.
    const idleNow = Date.now() + 60_000;
    const registered = await buildFleetHealth({
      store,
      window: "30d",
      instances,
      now: idleNow,
      botId: idle.id,
    });
    expect(registered.bots[0]!.spans![0]!.start).toBe(Date.parse(idle.createdAt));
    expect(of("idle")).toMatchObject({ uptime: null, score: null, rssSamples: [] });

    const week = await buildFleetHealth({ store, window: "7d", instances, now, botId: flaky.id });
    expect(week.bots.map((b) => b.bot)).toEqual(["flaky"]);
    expect(week.bots[0]).toMatchObject({ restarts: 3, crashes: 2, repairs: 2 });
    expect(week.bots[0]!.spans?.filter((s) => s.status === "down").length).toBe(2);
  });
});
