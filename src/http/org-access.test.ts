import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, tempDir } from "../../test/helpers/cli.js";
import { STAND_IN } from "../../test/helpers/fleet.js";
import { DEFAULT_ORG, type Principal, type Role } from "../core/access.js";
import type { Bot } from "../core/bot.js";
import { configSchema } from "../config/schema.js";
import { type Daemon, startDaemon } from "../daemon/daemon.js";
import { registerBot } from "../fleet/registry.js";
import { repair } from "../store/org-scope.contract.js";
import { message, session } from "../store/session-store.contract.js";
import { schedule as scheduleRecord, task as taskRecord } from "../store/task-store.contract.js";

/**
 * Organisations scope bots (docs/access.md, "Organisations"): a principal of
 * another organisation gets 404 for a bot as for no bot at all, on every
 * route that names one, reads and writes alike; lists leave the bot out and
 * totals exclude it. Against a whole daemon in this process (stand-in
 * gateways), every route as the server declares it.
 */
const OTHER = "beta-org";
const LOCAL: Principal = { kind: "local", id: "l", name: "cli", org: DEFAULT_ORG, role: "owner" };

let daemon: Daemon;
let scratch: ReturnType<typeof tempDir>;
let alpha: Bot;
let bravo: Bot;
/** `${org}:${role}` -> bearer secret. */
const tokens = new Map<string, string>();

async function call(
  who: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${daemon.url}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens.get(who)}`,
      "x-clawops-client": "test",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function addBot(name: string, org: string, owner: string): Promise<Bot> {
  const ctx = daemon.context;
  const stateDir = path.join(ctx.config.dataDir, "bots", name);
  mkdirSync(stateDir, { recursive: true });
  const configPath = path.join(stateDir, "openclaw.json");
  writeFileSync(configPath, JSON.stringify({ standIn: {} }));
  return registerBot(
    ctx.registry,
    { name, org, owner, port: await freePort(), stateDir, configPath },
    "test",
  );
}

beforeAll(async () => {
  scratch = tempDir("clawops-orgs-");
  const config = configSchema.parse({
    dataDir: scratch.dir,
    http: { port: await freePort() },
    openclaw: { bin: STAND_IN },
    supervisor: { doctorBeforeStart: false, checks: { wsHealth: { enabled: false } } },
    budgets: [
      { bot: "alpha", daily: 1 },
      { owner: "team", monthly: 5 },
    ],
  });
  config.database.sqlitePath = path.join(scratch.dir, "clawops.db");
  daemon = await startDaemon(config, pino({ level: "silent" }));
  const { access, store } = daemon.context;
  await store.access.addOrg(OTHER, new Date().toISOString());
  for (const org of [DEFAULT_ORG, OTHER])
    for (const role of ["viewer", "operator", "admin", "owner"] as Role[])
      tokens.set(
        `${org}:${role}`,
        (await access.createToken({ name: `t-${role}`, role, org }, LOCAL)).secret,
      );
  alpha = await addBot("alpha", DEFAULT_ORG, "team");
  bravo = await addBot("bravo", OTHER, "team");
  const at = new Date().toISOString();
  const usage = { input: 100, output: 50, cacheRead: 0, cacheWrite: 0, costUsd: 0.25 };
  await store.sessions.saveSessions([
    session(alpha.id, "s1", {
      botName: "alpha",
      modelConfigured: "m1",
      modelUsed: "m2",
      lastActivityAt: at,
      updatedAt: at,
    }),
  ]);
  await store.sessions.addMessages([
    message(alpha.id, "s1", 0, {
      role: "assistant",
      model: "m2",
      usage,
      costSource: "gateway",
      at,
    }),
  ]);
  await store.saveRepair({ ...repair("r-alpha", alpha.id), botName: "alpha" });
}, 60_000);

afterAll(async () => {
  await daemon?.stop("test over");
  scratch?.remove();
});

/** Every route that names a bot, with what to send; the test below checks none is missing. */
const BOT_ROUTES: [method: string, route: string, body?: unknown][] = [
  ["GET", "/api/v1/bots/:name"],
  ["PATCH", "/api/v1/bots/:name", { labels: { x: "y" } }],
  ["DELETE", "/api/v1/bots/:name?force=true"],
  ["POST", "/api/v1/bots/:name/start"],
  ["POST", "/api/v1/bots/:name/stop"],
  ["POST", "/api/v1/bots/:name/restart"],
  ["POST", "/api/v1/bots/:name/rotate-token"],
  ["POST", "/api/v1/bots/:name/move", { to: "elsewhere" }],
  ["GET", "/api/v1/bots/:name/doctor"],
  ["GET", "/api/v1/bots/:name/logs"],
  ["GET", "/api/v1/bots/:name/config"],
  ["GET", "/api/v1/bots/:name/health"],
  ["GET", "/api/v1/bots/:name/sessions/s1"],
  ["GET", "/api/v1/bots/:name/sessions/s1/messages"],
  ["POST", "/api/v1/bots/:name/repair"],
  ["POST", "/api/v1/bots/:name/repair/pause"],
  ["POST", "/api/v1/bots/:name/repair/resume"],
  ["POST", "/api/v1/bots/:name/budget/resume"],
  ["POST", "/api/v1/bots/:name/approvals/s1", { decision: "deny" }],
  ["GET", "/api/v1/events?bot=:name"],
  ["GET", "/api/v1/sessions?bot=:name"],
  ["GET", "/api/v1/cost?bot=:name"],
  ["GET", "/api/v1/cost/findings?bot=:name"],
  ["GET", "/api/v1/repairs?bot=:name"],
  ["GET", "/api/v1/repairs/stats?bot=:name"],
  ["GET", "/api/v1/tasks?bot=:name"],
  ["POST", "/api/v1/tasks", { bot: ":name", prompt: "hi", status: "inbox" }],
  ["GET", "/api/v1/tasks/analytics?bot=:name"],
  ["GET", "/api/v1/schedules?bot=:name"],
  ["POST", "/api/v1/schedules", { bot: ":name", prompt: "hi", everyMs: 60_000 }],
];

/** A body's `:name` stands for the bot, as in the route. */
const named = (body: unknown, name: string) =>
  body === undefined
    ? undefined
    : (JSON.parse(JSON.stringify(body).replaceAll(":name", name)) as unknown);

describe("organisations scope bots", () => {
  it("lists every route that names a bot", async () => {
    const doc = (await (await fetch(`${daemon.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const named = Object.entries(doc.paths).flatMap(([route, ops]) =>
      route.startsWith("/api/v1/bots/{name}")
        ? Object.keys(ops)
            .filter((m) => m !== "head")
            .map((m) => `${m.toUpperCase()} ${route.replace(/\{(\w+)\}/g, ":$1")}`)
        : [],
    );
    expect(named.length).toBeGreaterThan(10);
    const tested = BOT_ROUTES.map(([m, r]) => `${m} ${r.split("?")[0]!.replace("/s1", "/:id")}`);
    expect(tested).toEqual(expect.arrayContaining(named));
  });

  it.each(BOT_ROUTES)(
    "%s %s: another organisation's bot is not found, as no bot is",
    async (method, route, body) => {
      for (const role of ["viewer", "owner"] as const) {
        const who = `${OTHER}:${role}`;
        const theirs = await call(
          who,
          method,
          route.replaceAll(":name", "alpha"),
          named(body, "alpha"),
        );
        const none = await call(
          who,
          method,
          route.replaceAll(":name", "nobody"),
          named(body, "nobody"),
        );
        expect(theirs.status, `as ${role}: ${JSON.stringify(theirs.json)}`).toBe(
          none.status === 403 ? 403 : 404,
        );
        if (theirs.status === 404) {
          const { requestId: _a, ...error } = theirs.json.error as Record<string, unknown>;
          const { requestId: _b, ...nobody } = none.json.error as Record<string, unknown>;
          expect(JSON.stringify(error).replaceAll("alpha", "nobody")).toBe(JSON.stringify(nobody));
        }
      }
      // The writes did nothing: alpha is as it was, never started.
      const found = await daemon.context.store.findBot(alpha.id);
      expect(found).toMatchObject({ labels: {}, desiredState: "stopped" });
      expect(await daemon.context.store.getInstance(alpha.id)).toBeNull();
    },
  );

  it("leaves another organisation's bots out of lists, and their cost out of totals", async () => {
    const as = (who: string, route: string) => call(who, "GET", route).then((r) => r.json);
    const theirs = `${OTHER}:viewer`;
    const mine = `${DEFAULT_ORG}:viewer`;
    const names = (bots: unknown) => (bots as Bot[]).map((b) => b.name);

    expect(names((await as(theirs, "/api/v1/bots")).bots)).toEqual(["bravo"]);
    expect(names((await as(mine, "/api/v1/bots")).bots)).toEqual(["alpha"]);
    const status = await as(theirs, "/api/v1/status");
    expect(names(status.bots)).toEqual(["bravo"]);
    expect(JSON.stringify(status.gateways)).not.toContain(alpha.id);

    const events = (await as(theirs, "/api/v1/events?limit=1000")).events as {
      botId: string | null;
    }[];
    expect(events.map((e) => e.botId)).toEqual(events.map(() => bravo.id));
    const all = (await as(mine, "/api/v1/events?limit=1000")).events as { botId: string | null }[];
    expect(all.some((e) => e.botId === alpha.id)).toBe(true);
    expect(all.some((e) => e.botId === null)).toBe(true);
    expect(all.some((e) => e.botId === bravo.id)).toBe(false);

    expect((await as(theirs, "/api/v1/sessions")).sessions).toEqual([]);
    expect((await as(mine, "/api/v1/sessions")).sessions).toHaveLength(1);
    for (const by of ["bot", "model", "owner", "day"]) {
      expect((await as(theirs, `/api/v1/cost?by=${by}`)).rows, by).toEqual([]);
      expect((await as(mine, `/api/v1/cost?by=${by}`)).rows, by).toHaveLength(1);
    }
    expect((await as(theirs, "/api/v1/cost/findings")).findings).toEqual([]);
    expect((await as(mine, "/api/v1/cost/findings")).findings).not.toEqual([]);

    expect((await as(theirs, "/api/v1/repairs")).repairs).toEqual([]);
    expect((await as(mine, "/api/v1/repairs")).repairs).toHaveLength(1);
    expect((await as(theirs, "/api/v1/repairs/stats")).stats).toMatchObject({ total: 0 });
    expect((await as(mine, "/api/v1/repairs/stats")).stats).toMatchObject({ total: 1 });
    const repairStatus = await as(theirs, "/api/v1/repairs/status");
    expect((repairStatus.budgets as { bot: string }[]).map((b) => b.bot)).toEqual(["bravo"]);

    // alpha's budget is the default organisation's; the owner budget is daemon-wide.
    expect((await as(theirs, "/api/v1/budgets")).budgets).toEqual([]);
    const budgets = (await as(mine, "/api/v1/budgets")).budgets as { scope: string }[];
    expect(budgets.map((b) => b.scope)).toEqual(["bot", "owner"]);
  });

  it("keeps daemon-wide writes and other organisations out of another organisation's reach", async () => {
    const operator = `${OTHER}:operator`;
    const pause = await call(operator, "POST", "/api/v1/repairs/pause");
    expect(pause.status).toBe(403);
    expect(pause.json).toMatchObject({ error: { code: "FORBIDDEN" } });
    expect((await call(operator, "POST", "/api/v1/repairs/resume")).status).toBe(403);
    expect((await call(`${DEFAULT_ORG}:operator`, "POST", "/api/v1/repairs/resume")).status).toBe(
      200,
    );

    // Registration goes into the caller's organisation; naming another is refused.
    const admin = `${OTHER}:admin`;
    const stateDir = path.join(daemon.context.config.dataDir, "bots", "charlie");
    mkdirSync(stateDir, { recursive: true });
    const register = (extra: object) =>
      call(admin, "POST", "/api/v1/bots", { name: "charlie", stateDir, ...extra });
    const into = await register({ org: DEFAULT_ORG, allowMissingConfig: true });
    expect(into.status).toBe(403);
    expect(into.json).toMatchObject({ error: { details: { field: "org" } } });
    // A port another organisation's bot holds is a conflict that does not name that bot.
    const taken = await register({ port: alpha.port, allowMissingConfig: true });
    expect(taken.status).toBe(409);
    expect(JSON.stringify(taken.json)).not.toContain("alpha");
    const created = await register({ allowMissingConfig: true });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json.bot).toMatchObject({ name: "charlie", org: OTHER });
    expect((await call(admin, "DELETE", "/api/v1/bots/charlie")).status).toBe(200);
  });
});

describe("tasks and schedules across organisations", () => {
  it("answers another organisation's task or schedule as no task at all, and leaves it out of lists", async () => {
    const { store } = daemon.context;
    const task = await store.tasks.createTask(
      taskRecord(alpha.id, {
        botName: "alpha",
        status: "inbox",
        createdAt: new Date().toISOString(),
      }),
    );
    const sched = await store.tasks.createSchedule(
      scheduleRecord(alpha.id, { botName: "alpha", enabled: false }),
    );
    const routes: [string, string, unknown?][] = [
      ["GET", "/api/v1/tasks/:id"],
      ["POST", "/api/v1/tasks/:id/move", { to: "assigned" }],
      ["POST", "/api/v1/tasks/:id/cancel"],
      ["POST", "/api/v1/tasks/:id/retry"],
    ];
    const scheduleRoutes: [string, string, unknown?][] = [
      ["GET", "/api/v1/schedules/:id"],
      ["PATCH", "/api/v1/schedules/:id", { enabled: true }],
      ["POST", "/api/v1/schedules/:id/pause"],
      ["POST", "/api/v1/schedules/:id/resume"],
      ["DELETE", "/api/v1/schedules/:id"],
    ];
    for (const [list, id] of [
      [routes, task.id],
      [scheduleRoutes, sched.id],
    ] as const) {
      for (const [method, route, body] of list) {
        const theirs = await call(`${OTHER}:owner`, method, route.replace(":id", id), body);
        const none = await call(`${OTHER}:owner`, method, route.replace(":id", "nope"), body);
        expect(theirs.status, `${method} ${route}`).toBe(404);
        const { requestId: _a, ...error } = theirs.json.error as Record<string, unknown>;
        const { requestId: _b, ...nothing } = none.json.error as Record<string, unknown>;
        expect(JSON.stringify(error).replaceAll(id, "nope")).toBe(JSON.stringify(nothing));
      }
    }
    // Untouched: still in the inbox, the schedule still paused and there.
    expect(await store.tasks.getTask(task.id)).toMatchObject({ status: "inbox" });
    expect(await store.tasks.getSchedule(sched.id)).toMatchObject({ enabled: false });
    const ids = async (who: string, route: string, key: string) =>
      ((await call(who, "GET", route)).json[key] as { id: string }[]).map((x) => x.id);
    expect(await ids(`${OTHER}:viewer`, "/api/v1/tasks", "tasks")).not.toContain(task.id);
    expect(await ids(`${DEFAULT_ORG}:viewer`, "/api/v1/tasks", "tasks")).toContain(task.id);
    expect(await ids(`${OTHER}:viewer`, "/api/v1/schedules", "schedules")).not.toContain(sched.id);
    expect(await ids(`${DEFAULT_ORG}:viewer`, "/api/v1/schedules", "schedules")).toContain(
      sched.id,
    );
    expect((await call(`${DEFAULT_ORG}:viewer`, "GET", `/api/v1/tasks/${task.id}`)).status).toBe(
      200,
    );
    expect(
      (await call(`${DEFAULT_ORG}:operator`, "POST", `/api/v1/tasks/${task.id}/cancel`)).json,
    ).toMatchObject({ task: { status: "done", outcome: "cancelled" } });
    await store.tasks.removeSchedule(sched.id);
  });
});

describe("the doctor across organisations", () => {
  it("finds a collision with another organisation's bot without naming it", async () => {
    const admin = `${OTHER}:admin`;
    const near = alpha.port + 1;
    expect((await call(admin, "PATCH", "/api/v1/bots/bravo", { port: near })).status).toBe(200);
    try {
      const { json } = await call(`${OTHER}:viewer`, "GET", "/api/v1/bots/bravo/doctor?fast=true");
      const findings = (json.report as { findings: { id: string; message: string }[] }).findings;
      const collision = findings.find((f) => f.id === "fleet/port-collision");
      expect(collision?.message).toMatch(/1 away from a bot of another organisation's/);
      expect(JSON.stringify(json)).not.toContain("alpha");
      // And the other way round.
      const mine = await call(
        `${DEFAULT_ORG}:viewer`,
        "GET",
        "/api/v1/bots/alpha/doctor?fast=true",
      );
      expect(JSON.stringify(mine.json)).not.toContain("bravo");
    } finally {
      await call(admin, "PATCH", "/api/v1/bots/bravo", { port: bravo.port });
    }
  });
});

describe("PATCH /api/v1/bots/:name", () => {
  it("needs admin for configuration, operator for the desired state; unknown fields are a 400", async () => {
    const operator = `${OTHER}:operator`;
    const admin = `${OTHER}:admin`;
    const port = await call(operator, "PATCH", "/api/v1/bots/bravo", { port: 40_123 });
    expect(port.status).toBe(403);
    expect(port.json).toMatchObject({ error: { details: { fields: ["port"] } } });
    const unknown = await call(admin, "PATCH", "/api/v1/bots/bravo", { nope: 1, port: 40_123 });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({
      error: { code: "VALIDATION", message: expect.stringMatching(/nope/) as string },
    });
    const outside = await call(admin, "PATCH", "/api/v1/bots/bravo", { configPath: "/etc/passwd" });
    expect(outside.status).toBe(400);
    expect(outside.json).toMatchObject({ error: { details: { field: "configPath" } } });

    const labelled = await call(admin, "PATCH", "/api/v1/bots/bravo", {
      labels: { tier: "gold" },
      owner: null,
    });
    expect(labelled.status, JSON.stringify(labelled.json)).toBe(200);
    expect(labelled.json).toMatchObject({
      bot: { labels: { tier: "gold" }, owner: null, org: OTHER },
      changed: ["labels", "owner"],
      gatewayAction: null,
    });
    const again = await call(admin, "PATCH", "/api/v1/bots/bravo", { labels: { tier: "gold" } });
    expect(again.json).toMatchObject({ changed: [] });
  });

  it("starts, restarts on a new port (drained, the old port freed) and stops a gateway", async () => {
    const operator = `${OTHER}:operator`;
    const admin = `${OTHER}:admin`;
    const started = await call(operator, "PATCH", "/api/v1/bots/bravo", {
      desiredState: "running",
    });
    expect(started.status, JSON.stringify(started.json)).toBe(200);
    expect(started.json).toMatchObject({
      gatewayAction: "started",
      gateway: { state: "running" },
    });
    const oldPid = (started.json.gateway as { pid: number }).pid;
    const next = await freePort();
    const moved = await call(admin, "PATCH", "/api/v1/bots/bravo", { port: next });
    expect(moved.status, JSON.stringify(moved.json)).toBe(200);
    expect(moved.json).toMatchObject({
      bot: { port: next },
      changed: ["port"],
      gatewayAction: "restarted",
      gateway: { state: "running" },
    });
    expect((moved.json.gateway as { pid: number }).pid).not.toBe(oldPid);
    expect((await fetch(`http://127.0.0.1:${next}/healthz`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${bravo.port}/healthz`)).rejects.toThrow();

    // Removing a running bot is refused unless forced; forced, it is stopped first, files kept.
    const refused = await call(admin, "DELETE", "/api/v1/bots/bravo");
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({
      error: { code: "CONFLICT", message: expect.stringMatching(/--force/) as string },
    });
    const stopped = await call(operator, "PATCH", "/api/v1/bots/bravo", {
      desiredState: "stopped",
    });
    expect(stopped.json).toMatchObject({ gatewayAction: "stopped", gateway: { state: "stopped" } });
    await call(operator, "PATCH", "/api/v1/bots/bravo", { desiredState: "running" });
    const removed = await call(admin, "DELETE", "/api/v1/bots/bravo?force=true");
    expect(removed.status, JSON.stringify(removed.json)).toBe(200);
    expect(removed.json).toMatchObject({
      removed: { name: "bravo" },
      stopped: { state: "stopped" },
    });
    await expect(fetch(`http://127.0.0.1:${next}/healthz`)).rejects.toThrow();
    expect(existsSync(path.join(bravo.stateDir, "openclaw.json"))).toBe(true);
    // Its history stays its organisation's.
    const events = (await call(`${OTHER}:viewer`, "GET", "/api/v1/events?limit=1000")).json
      .events as { type: string }[];
    expect(events.map((e) => e.type)).toContain("bot.removed");
  });
});
