import { sessionMessageEvent } from "../ingest/store-sink.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Bot } from "../core/bot.js";
import { OpsError } from "../core/errors.js";
import type { BusEvent } from "../core/events.js";
import type { Notification } from "../core/notification.js";
import { sleep } from "../core/time.js";
import { EventBus } from "../events/bus.js";
import { message } from "../store/session-store.contract.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { assertNotBudgetPaused } from "./ledger.js";
import { BudgetService } from "./service.js";
import { type BudgetSettings, resolveLimits } from "./settings.js";

const log = pino({ level: "silent" });

describe("BudgetService", () => {
  let dir: string;
  let store: Store;
  let bus: EventBus;
  let now: number;
  let events: BusEvent[];
  let notes: Notification[];
  const services: BudgetService[] = [];
  const bots: Record<string, Bot> = {};
  let seq = 0;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "clawops-budget-"));
    store = openSqliteStore(path.join(dir, "clawops.db"));
    await store.migrate();
    bus = new EventBus((batch) => store.appendEvents(batch), log);
    events = [];
    notes = [];
    bus.subscribe((e) => {
      if (e.type.startsWith("budget.")) events.push(e);
    });
    now = Date.parse("2026-11-30T10:00:00Z");
    const fleet = [
      ["alpha", "team-a"],
      ["beta", "team-a"],
      ["gamma", null],
    ] as const;
    for (const [index, [name, owner]] of fleet.entries()) {
      bots[name] = await store.createBot({
        name,
        owner,
        driver: "process",
        stateDir: path.join(dir, name),
        configPath: path.join(dir, name, "openclaw.json"),
        port: 20_000 + index * 20,
        desiredState: "stopped",
        labels: {},
        openclawBin: null,
      });
    }
  });

  afterEach(async () => {
    for (const service of services.splice(0)) await service.close();
    await bus.flush(1_000);
    bus.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function service(budgets: BudgetSettings[], coalesceMs = 20): BudgetService {
    const made = new BudgetService({
      budgets,
      store,
      bus,
      log,
      notify: (n) => notes.push(n),
      now: () => now,
      coalesceMs,
      // Evaluate as soon as the messages settle, however long the last evaluation took.
      cpuShare: 1,
    });
    made.start();
    services.push(made);
    return made;
  }

  /** Stores an assistant message costing `usd` for the bot and publishes it, as the ingest does. */
  async function spend(bot: string, usd: number, at = new Date(now).toISOString()) {
    const m = message(bots[bot]!.id, "s1", seq++, {
      role: "assistant",
      at,
      usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0, costUsd: usd },
    });
    await store.sessions.addMessages([m]);
    bus.publish(sessionMessageEvent(m));
  }

  const budget = (extra: Partial<BudgetSettings>): BudgetSettings => ({
    warnAt: 0.8,
    action: "notify",
    ...extra,
  });
  const settle = () => sleep(80);
  const types = () => events.map((e) => `${e.type}:${"name" in e.data ? e.data.name : ""}`);
  const chatCheck = (budgets: BudgetSettings[], bot: string) =>
    assertNotBudgetPaused(store, resolveLimits(budgets), bots[bot]!, now);

  it("evaluates after costed messages, coalesced: many messages, one evaluation", async () => {
    const budgets = [budget({ bot: "alpha", daily: 1 })];
    service(budgets, 50);
    const costBy = vi.spyOn(store.sessions, "costBy");
    for (let i = 0; i < 40; i++) await spend("alpha", 0.021);
    await sleep(150);
    // One read of today (the month's earlier days: the first read, then kept).
    expect(costBy.mock.calls.filter(([, q]) => q?.until === undefined)).toHaveLength(1);
    expect(types()).toEqual(["budget.warning:alpha"]);
    expect(events[0]!.data).toMatchObject({
      scope: "bot",
      window: "day",
      limitUsd: 1,
      percent: 84,
      owner: "team-a",
      periodStart: "2026-11-30T00:00:00.000Z",
    });
    expect(notes.map((n) => [n.kind, n.title])).toEqual([
      ["warning", "alpha reached 84 % of its daily budget"],
    ]);
  });

  it("waits longer after slow evaluations, keeping to its share of a core", async () => {
    const svc = new BudgetService({
      budgets: [budget({ bot: "alpha", daily: 1 })],
      store,
      bus,
      log,
      notify: (n) => notes.push(n),
      now: () => now,
      coalesceMs: 20,
      cpuShare: 0.1,
    });
    svc.start();
    services.push(svc);
    const read = store.sessions.costBy.bind(store.sessions);
    const costBy = vi.spyOn(store.sessions, "costBy").mockImplementation(async (group, query) => {
      await sleep(query?.until === undefined ? 30 : 0);
      return read(group, query);
    });
    const reads = () => costBy.mock.calls.filter(([, q]) => q?.until === undefined).length;
    // The first evaluation reads the month's earlier days: a one-off that does not count.
    await svc.evaluate();
    await svc.evaluate();
    await spend("alpha", 0.9);
    // 30 ms or more per evaluation at a tenth of a core: 300 ms or more, not the 20 ms configured.
    await sleep(200);
    expect(reads()).toBe(2);
    for (let i = 0; i < 50 && types().length === 0; i++) await sleep(100);
    expect(types()).toEqual(["budget.warning:alpha"]);
    expect(reads()).toBe(3);
  });

  it("sums an owner's bots, pauses them all at the limit, and names the owner", async () => {
    const budgets = [budget({ owner: "team-a", monthly: 10, action: "pause" })];
    const svc = service(budgets);
    await spend("alpha", 4);
    await spend("beta", 4.5);
    await spend("gamma", 50);
    await settle();
    expect(types()).toEqual(["budget.warning:team-a"]);
    await spend("beta", 2);
    await settle();
    expect(types()).toEqual(["budget.warning:team-a", "budget.exceeded:team-a"]);
    expect(events[1]).toMatchObject({
      botId: null,
      data: {
        scope: "owner",
        window: "month",
        spentUsd: 10.5,
        action: "pause",
        pausedBots: ["alpha", "beta"],
        resumesAt: "2026-12-01T00:00:00.000Z",
        owner: "team-a",
      },
    });
    expect(notes[1]).toMatchObject({
      kind: "escalated",
      bot: null,
      title: "owner team-a exceeded its monthly budget: $10.50 of $10.00 (105 %)",
    });
    expect(notes[1]!.lines).toContain("owner: team-a");
    for (const name of ["alpha", "beta"]) {
      const refused = await chatCheck(budgets, name).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpsError);
      expect(refused).toMatchObject({ code: "BUDGET_EXCEEDED" });
      expect((refused as OpsError).message).toContain("owner team-a's monthly budget");
    }
    await chatCheck(budgets, "gamma");
    const [status] = await svc.status();
    expect(status).toMatchObject({
      scope: "owner",
      name: "team-a",
      spentUsd: 10.5,
      percent: 105,
      level: "exceeded",
      paused: true,
      bots: ["alpha", "beta"],
    });
  });

  it("announces nothing twice and keeps the pause across a restart", async () => {
    const budgets = [budget({ bot: "alpha", daily: 1, monthly: 100, action: "pause" })];
    const first = service(budgets);
    await spend("alpha", 1.5);
    await settle();
    expect(types()).toEqual(["budget.warning:alpha", "budget.exceeded:alpha"]);
    // One message for the one evaluation: the highest level crossed.
    expect(notes.map((n) => n.kind)).toEqual(["escalated"]);
    await first.close();

    const second = service(budgets);
    await second.evaluate();
    await spend("alpha", 0.5);
    await settle();
    expect(types()).toHaveLength(2);
    await expect(chatCheck(budgets, "alpha")).rejects.toThrow(
      /alpha is paused by alpha's daily budget \(\$1\.50 of \$1\.00\).*until 2026-12-01 00:00 UTC/,
    );
  });

  it("lifts a pause on an operator's resume for the rest of the period, and by itself at UTC midnight", async () => {
    const budgets = [budget({ bot: "alpha", daily: 1, action: "pause" })];
    const svc = service(budgets);
    await spend("alpha", 2);
    await settle();
    const lifted = await svc.resume("alpha", "cli");
    expect(lifted.map((s) => [s.name, s.window, s.paused])).toEqual([["alpha", "day", false]]);
    await chatCheck(budgets, "alpha");
    expect(await svc.resume("alpha", "cli")).toEqual([]);
    await spend("alpha", 1);
    await settle();
    await chatCheck(budgets, "alpha");
    expect(types()).toEqual([
      "budget.warning:alpha",
      "budget.exceeded:alpha",
      "budget.resumed:alpha",
    ]);
    expect(events[2]!.data).toMatchObject({ reason: "operator", bots: ["alpha"] });

    // The next day: spend starts again from zero, and so do the levels.
    now = Date.parse("2026-12-01T00:00:10Z");
    await spend("alpha", 0.9);
    await settle();
    expect(types().slice(3)).toEqual(["budget.warning:alpha"]);
    expect((await svc.status())[0]).toMatchObject({
      spentUsd: 0.9,
      periodStart: "2026-12-01T00:00:00.000Z",
    });

    await spend("alpha", 0.2);
    await settle();
    await expect(chatCheck(budgets, "alpha")).rejects.toThrow(OpsError);
    now = Date.parse("2026-12-02T00:00:30Z");
    await chatCheck(budgets, "alpha");
    await svc.evaluate();
    expect(events.at(-1)).toMatchObject({ type: "budget.resumed", data: { reason: "period" } });
    expect(notes.at(-1)).toMatchObject({
      kind: "info",
      title: "alpha: chats through clawops resumed",
    });
  });

  it("counts the month's earlier days, including a message caught up late", async () => {
    const budgets = [budget({ bot: "gamma", monthly: 10 })];
    const svc = service(budgets);
    await spend("gamma", 3, "2026-11-02T12:00:00.000Z");
    await spend("gamma", 2, "2026-10-31T23:59:59.999Z");
    await spend("gamma", 1);
    await settle();
    expect((await svc.status())[0]).toMatchObject({ spentUsd: 4 });
    // Read and kept; a message dated earlier this month makes it read again.
    await spend("gamma", 4.5, "2026-11-20T08:00:00.000Z");
    await settle();
    expect((await svc.status())[0]).toMatchObject({ spentUsd: 8.5, level: "warning" });
    expect(types()).toEqual(["budget.warning:gamma"]);
  });

  it("lifts a pause whose budget left clawops.yaml or no longer pauses", async () => {
    const pausing = [budget({ bot: "alpha", daily: 1, action: "pause" })];
    await service(pausing).evaluate();
    await spend("alpha", 2);
    await settle();
    await services[0]!.close();
    // The chat check follows clawops.yaml at once; the daemon records it at its next evaluation.
    await chatCheck([], "alpha");
    await chatCheck([budget({ bot: "alpha", daily: 1 })], "alpha");
    await service([]).evaluate();
    expect(events.at(-1)).toMatchObject({
      type: "budget.resumed",
      data: { reason: "limit", name: "alpha" },
    });
    expect((await store.budgets.listStates())[0]).toMatchObject({ paused: false });
  });
});
