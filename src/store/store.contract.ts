import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OpsError } from "../core/errors.js";
import { newInstance } from "../core/gateway-state.js";
import type { StoredEventInput } from "../core/events.js";
import type { RepairRecord } from "../core/repair.js";
import { budgetStoreContract } from "./budget-store.contract.js";
import { taskStoreContract } from "./task-store.contract.js";
import { sessionCostContract } from "./session-cost.contract.js";
import { sessionStoreContract } from "./session-store.contract.js";
import { accessStoreContract } from "./access-store.contract.js";
import { migrationProvider } from "./migrations/index.js";
import { orgScopeContract } from "./org-scope.contract.js";
import { vaultStoreContract } from "./vault-store.contract.js";
import { hostStoreContract } from "./host-store.contract.js";
import type { NewBot, Store } from "./store.js";

function newBot(name: string, port: number, extra: Partial<NewBot> = {}): NewBot {
  return {
    name,
    owner: null,
    driver: "process",
    stateDir: `/srv/bots/${name}`,
    configPath: `/srv/bots/${name}/openclaw.json`,
    port,
    desiredState: "stopped",
    labels: {},
    openclawBin: null,
    ...extra,
  };
}

async function expectOpsError(promise: Promise<unknown>, code: string, message: RegExp) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpsError);
  expect((error as OpsError).code).toBe(code);
  expect((error as OpsError).message).toMatch(message);
}

/**
 * The one suite every Store implementation must pass. `open` returns a store
 * on an empty database; `reopen` opens a second store on the same database.
 */
export function describeStoreContract(
  name: string,
  setup: () => Promise<{ open(): Promise<Store>; teardown(): Promise<void> }>,
) {
  describe(`store contract: ${name}`, () => {
    let env: Awaited<ReturnType<typeof setup>>;
    let store: Store;

    beforeAll(async () => {
      env = await setup();
      store = await env.open();
      await store.migrate();
    });
    afterAll(async () => {
      await store?.close();
      await env?.teardown();
    });
    beforeEach(async () => {
      for (const bot of await store.listBots()) await store.removeBot(bot.id);
    });

    it("migrates idempotently and reports the current version", async () => {
      const again = await store.migrate();
      const latest = Object.keys(await migrationProvider(store.dialect).getMigrations()).at(-1);
      expect(again.applied).toEqual([]);
      expect(again.current).toBe(latest);
      const other = await env.open();
      try {
        expect(await other.migrate()).toEqual({ applied: [], current: latest });
      } finally {
        await other.close();
      }
    });

    it("answers ping", async () => {
      await expect(store.ping(1_000)).resolves.toBeUndefined();
    });

    it("creates, finds, lists, updates and removes bots", async () => {
      const created = await store.createBot(
        newBot("beta", 18809, { labels: { env: "prod" }, owner: "ops" }),
      );
      await store.createBot(newBot("alpha", 18789));
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.createdAt).toBe(created.updatedAt);

      expect((await store.listBots()).map((b) => b.name)).toEqual(["alpha", "beta"]);
      const byName = await store.findBot("beta");
      expect(byName).toEqual(created);
      expect(await store.findBot(created.id)).toEqual(created);
      expect(await store.findBot("missing")).toBeNull();

      await new Promise((r) => setTimeout(r, 5));
      const updated = await store.updateBot(created.id, {
        desiredState: "running",
        labels: { env: "dev" },
        owner: null,
      });
      expect(updated.desiredState).toBe("running");
      expect(updated.labels).toEqual({ env: "dev" });
      expect(updated.owner).toBeNull();
      expect(updated.port).toBe(18809);
      expect(updated.updatedAt > created.updatedAt).toBe(true);
      expect(await store.findBot("beta")).toEqual(updated);

      expect(await store.removeBot(created.id)).toBe(true);
      expect(await store.removeBot(created.id)).toBe(false);
      expect(await store.findBot("beta")).toBeNull();
    });

    it("refuses duplicate names, ports and state dirs, naming the field and the other bot", async () => {
      const first = await store.createBot(newBot("one", 18789));
      await expectOpsError(
        store.createBot(newBot("one", 18900)),
        "CONFLICT",
        /a bot named "one" already exists/,
      );
      await expectOpsError(
        store.createBot(newBot("two", 18789)),
        "CONFLICT",
        /port 18789 is already used by bot "one"/,
      );
      await expectOpsError(
        store.createBot(newBot("two", 18900, { stateDir: first.stateDir })),
        "CONFLICT",
        /stateDir \/srv\/bots\/one is already used by bot "one"/,
      );
      const second = await store.createBot(newBot("two", 18900));
      await expectOpsError(
        store.updateBot(second.id, { port: 18789 }),
        "CONFLICT",
        /port 18789.*"one"/,
      );
      await expectOpsError(store.updateBot("no-such-id", { port: 1 }), "NOT_FOUND", /no bot/);
      expect((await store.listBots()).length).toBe(2);
    });

    it("appends events in order and lists them by bot, type and cursor", async () => {
      const bot = await store.createBot(newBot("evt", 18789));
      const before = await store.listEvents({ limit: 1 });
      const start = before.at(-1)?.id ?? 0;
      const appended = await store.appendEvents([
        event({ type: "bot.registered", actor: "cli", botId: bot.id, data: { port: 18789 } }),
        event({ type: "daemon.started", actor: "daemon", data: { pid: 1 } }),
        event({
          type: "bot.updated",
          actor: "api",
          botId: bot.id,
          ts: "2026-01-01T00:00:00.000Z",
          version: 2,
        }),
      ]);
      expect(appended.map((e) => e.type)).toEqual([
        "bot.registered",
        "daemon.started",
        "bot.updated",
      ]);
      expect(appended[0]!.id).toBeGreaterThan(start);
      expect(appended[1]!.id).toBe(appended[0]!.id + 1);
      expect(appended[0]!.data).toEqual({ port: 18789 });
      expect(appended[1]!.botId).toBeNull();
      expect(appended[2]!.ts).toBe("2026-01-01T00:00:00.000Z");
      expect(appended[2]!.data).toEqual({});
      expect(appended.map((e) => e.version)).toEqual([1, 1, 2]);

      const forBot = await store.listEvents({ botId: bot.id });
      expect(forBot.map((e) => e.type)).toEqual(["bot.registered", "bot.updated"]);
      expect((await store.listEvents({ type: "bot." })).filter((e) => e.id > start).length).toBe(2);
      expect((await store.listEvents({ type: "daemon.started", afterId: start })).length).toBe(1);
      // The bot's events since a time: the one dated 2026-01-01 is before it.
      const recent = await store.listEvents({ botId: bot.id, since: "2026-01-02T00:00:00.000Z" });
      expect(recent.map((e) => e.type)).toEqual(["bot.registered"]);
      const tail = await store.listEvents({ afterId: appended[0]!.id });
      expect(tail.map((e) => e.id)).toEqual([appended[1]!.id, appended[2]!.id]);
      const newest = await store.listEvents({ limit: 2 });
      expect(newest.map((e) => e.id)).toEqual([appended[1]!.id, appended[2]!.id]);
      expect(await store.appendEvents([])).toEqual([]);
    });

    it("takes a type prefix literally: LIKE wildcards match only themselves, case counts", async () => {
      const start = (await store.listEvents({ limit: 1 })).at(-1)?.id ?? 0;
      await store.appendEvents([
        event({ type: "wild.one", actor: "test" }),
        event({ type: "wildXcard.two", actor: "test" }),
        event({ type: "%_.odd", actor: "test" }),
        event({ type: "back\\.slash", actor: "test" }),
      ]);
      const types = async (type: string) =>
        (await store.listEvents({ type, afterId: start })).map((e) => e.type);
      // Before the fix `%.` matched every event and `wild_card.` matched `wildXcard.`.
      expect(await types("%.")).toEqual([]);
      expect(await types("_.")).toEqual([]);
      expect(await types("wild_card.")).toEqual([]);
      expect(await types("%_.")).toEqual(["%_.odd"]);
      expect(await types("back\\.")).toEqual(["back\\.slash"]);
      // Several: any of them, exact types and prefixes alike.
      const any = await store.listEvents({ type: ["%_.", "wild.one", "nothing."], afterId: start });
      expect(any.map((e) => e.type)).toEqual(["wild.one", "%_.odd"]);
      expect(await types("wild.")).toEqual(["wild.one"]);
      expect(await types("WILD.")).toEqual([]);
    });

    it("saves, replaces and lists gateway instances, and drops them with their bot", async () => {
      const bot = await store.createBot(
        newBot("supervised", 18789, { openclawBin: "/opt/oc/openclaw.mjs" }),
      );
      expect(bot.openclawBin).toBe("/opt/oc/openclaw.mjs");
      expect(await store.getInstance(bot.id)).toBeNull();
      const first = {
        ...newInstance(bot.id, "2026-11-22T08:00:00.000Z"),
        state: "running" as const,
        pid: 4321,
        pidStartTime: 9_876_543_210,
        rssBytes: 3_000_000_000,
        rssSamples: [2_900_000_000, 3_000_000_000],
        ready: true,
        lastExit: { code: 1, signal: null, reason: "exit 1", at: "2026-11-22T07:59:00.000Z" },
        recentFailures: ["2026-11-22T07:59:00.000Z"],
      };
      await store.saveInstance(first);
      expect(await store.getInstance(bot.id)).toEqual(first);
      const second = { ...first, state: "crashed" as const, pid: null, ready: null, restarts: 1 };
      await store.saveInstance(second);
      expect(await store.listInstances()).toEqual([second]);
      await store.removeBot(bot.id);
      expect(await store.listInstances()).toEqual([]);
    });

    it("saves, replaces and lists repairs newest first, by bot and time, and keeps them after the bot", async () => {
      const bot = await store.createBot(newBot("repaired", 18789));
      const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, "0")}:00.000Z`;
      const record = (id: string, minute: number, botId = bot.id): RepairRecord => ({
        id,
        botId,
        botName: "repaired",
        trigger: "crash",
        cause: "killed by SIGKILL",
        startedBy: "repair",
        dryRun: false,
        outcome: "running",
        tier: 0,
        summary: "",
        actions: [],
        evidence: { exit: { code: null, signal: "SIGKILL" } },
        faultAt: at(minute),
        detectedAt: at(minute),
        startedAt: at(minute),
        endedAt: null,
        recoveredAt: null,
      });
      await store.saveRepair(record("r1", 1));
      await store.saveRepair(record("r2", 2, "other-bot"));
      const done: RepairRecord = {
        ...record("r1", 1),
        outcome: "recovered",
        tier: 1,
        summary: "restarted",
        endedAt: at(3),
        recoveredAt: at(3),
        actions: [
          {
            tier: 1,
            action: "restart",
            params: {},
            status: "ok",
            detail: "pid 2",
            durationMs: 9000,
          },
        ],
      };
      await store.saveRepair(done);
      await store.saveRepair(record("r3", 5));
      expect((await store.listRepairs()).map((r) => r.id)).toEqual(["r3", "r2", "r1"]);
      expect(await store.listRepairs({ botId: bot.id, limit: 1 })).toEqual([record("r3", 5)]);
      expect((await store.listRepairs({ since: at(2) })).map((r) => r.id)).toEqual(["r3", "r2"]);
      expect((await store.listRepairs({ botId: bot.id })).at(-1)).toEqual(done);
      await store.removeBot(bot.id);
      expect((await store.listRepairs({ botId: bot.id })).length).toBe(2);
    });

    it("pauses and resumes a bot and the fleet", async () => {
      for (const pause of await store.listPauses()) await store.removePause(pause.botId);
      const since = "2026-11-23T10:00:00.000Z";
      await store.savePause({ botId: null, by: "cli", reason: "maintenance", since });
      await store.savePause({ botId: "bot-1", by: "telegram:42", reason: "", since });
      await store.savePause({ botId: "bot-1", by: "api", reason: "upgrade", since });
      expect(await store.listPauses()).toEqual([
        { botId: null, by: "cli", reason: "maintenance", since },
        { botId: "bot-1", by: "api", reason: "upgrade", since },
      ]);
      expect(await store.removePause(null)).toBe(true);
      expect(await store.removePause(null)).toBe(false);
      expect(await store.removePause("bot-1")).toBe(true);
      expect(await store.listPauses()).toEqual([]);
    });

    it("keeps its data across a reopen", async () => {
      await store.createBot(newBot("durable", 18789));
      await store.appendEvents([event({ type: "test.durable", actor: "test" })]);
      const other = await env.open();
      try {
        expect((await other.findBot("durable"))?.port).toBe(18789);
        expect((await other.listEvents({ type: "test.durable" })).length).toBe(1);
      } finally {
        await other.close();
      }
    });

    const sessions = { store: () => store, open: () => env.open() };
    sessionStoreContract(sessions);
    sessionCostContract(sessions);
    budgetStoreContract(sessions);
    vaultStoreContract(sessions);
    accessStoreContract(sessions);
    orgScopeContract(sessions);
    taskStoreContract(sessions);
    hostStoreContract(sessions);
  });
}

/** A stored event with the defaults a publisher's bus fills in. */
function event(
  input: Partial<StoredEventInput> & { type: string; actor: string },
): StoredEventInput {
  return { ts: new Date().toISOString(), botId: null, version: 1, data: {}, ...input };
}
