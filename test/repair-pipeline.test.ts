import { appendFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import path from "node:path";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../src/config/schema.js";
import type { Bot } from "../src/core/bot.js";
import type { Notification } from "../src/core/notification.js";
import { sleep } from "../src/core/time.js";
import { DoctorService } from "../src/doctor/service.js";
import { EventBus } from "../src/events/bus.js";
import { registerBot } from "../src/fleet/registry.js";
import { RepairService } from "../src/repair/service.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import type { Store } from "../src/store/store.js";
import { gatewayLogFile } from "../src/gateway/log-file.js";
import { Supervisor } from "../src/supervisor/supervisor.js";
import { STAND_IN } from "./helpers/fleet.js";
import { freePort, tempDir } from "./helpers/cli.js";

const TOKEN = "g".repeat(24) + "-gateway-token-secret";
const PROVIDER_KEY = "sk-provider-secret-0123456789";

/** An OpenAI-compatible endpoint whose answer each test scripts; it records what it was sent. */
function startPlanner() {
  const requests: { authorization?: string; body: string }[] = [];
  let answer: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      requests.push({ authorization: req.headers.authorization, body });
      answer(req, res);
    });
  });
  return {
    requests,
    server,
    /** The next answers carry `content` as the model's message. */
    answerWith(content: string, before: () => void = () => undefined) {
      answer = (_req, res) => {
        before();
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ choices: [{ message: { role: "assistant", content } }] }));
      };
    },
    /** The next requests are never answered. */
    hang() {
      answer = () => undefined;
    },
  };
}

interface Harness {
  dir: string;
  store: Store;
  bus: EventBus;
  supervisor: Supervisor;
  service: RepairService;
  notifications: Notification[];
  clock: { now: number };
  addBot(name: string, standIn?: object): Promise<Bot>;
  close(): Promise<void>;
}

/** A supervisor running the stand-in gateway, with a repair service on an injected clock. */
async function harness(repair: object): Promise<Harness> {
  const temp = tempDir("clawops-repair-pipe-");
  const dir = temp.dir;
  const store = openSqliteStore(path.join(dir, "clawops.db"));
  await store.migrate();
  const log = pino({ level: process.env.CLAWOPS_TEST_LOG ?? "silent" });
  const bus = new EventBus((batch) => store.appendEvents(batch), log);
  const config = configSchema.parse({
    dataDir: dir,
    openclaw: { bin: STAND_IN },
    supervisor: {
      doctorBeforeStart: false,
      restart: { initialDelay: "100ms" },
      readyTimeout: "3s",
      checks: {
        readyz: { period: "200ms", timeout: "150ms", failures: 2 },
        // The stand-in speaks HTTP only; the WebSocket check runs against real gateways.
        wsHealth: { enabled: false },
      },
    },
    repair,
  });
  const supervisor = new Supervisor({ config, store, bus, log });
  const doctor = new DoctorService(config, () => store.listBots());
  const notifications: Notification[] = [];
  const clock = { now: Date.parse("2026-11-23T10:00:00.000Z") };
  const service = new RepairService({
    config,
    store,
    bus,
    log,
    supervisor,
    doctor,
    notify: (n) => notifications.push(n),
    now: () => clock.now,
  });
  await service.start();
  return {
    dir,
    store,
    bus,
    supervisor,
    service,
    notifications,
    clock,
    async addBot(name, standIn = {}) {
      const stateDir = path.join(dir, "bots", name);
      mkdirSync(stateDir, { recursive: true });
      const configPath = path.join(stateDir, "openclaw.json");
      writeBotConfig(configPath, standIn);
      return registerBot(
        { store, bus, dataDir: dir, portBase: 18789, portSpacing: 20 },
        { name, port: await freePort(), stateDir, configPath },
        "test",
      );
    },
    async close() {
      await service.close();
      await supervisor.shutdown();
      await bus.flush(5_000);
      bus.close();
      await store.close();
      temp.remove();
    },
  };
}

/** The stand-in's settings beside a real-looking gateway section (token and provider key: secrets). */
function writeBotConfig(configPath: string, standIn: object) {
  writeFileSync(
    configPath,
    JSON.stringify({
      standIn,
      gateway: { mode: "local", auth: { mode: "token", token: TOKEN } },
      models: { providers: { fake: { apiKey: PROVIDER_KEY } } },
    }),
  );
}

describe("tier 3: the AI plan, validated", () => {
  const planner = startPlanner();
  let h: Harness;
  let bot: Bot;

  beforeAll(async () => {
    await new Promise<void>((resolve) => planner.server.listen(0, "127.0.0.1", resolve));
    const { port } = planner.server.address() as { port: number };
    process.env.CLAWOPS_TEST_AI_KEY = "ai-endpoint-key-abcdef";
    h = await harness({
      // Only operators' repairs here: the crashing bot must not start repairs of its own.
      enabled: false,
      verifyTimeout: "5s",
      ai: {
        enabled: true,
        url: `http://127.0.0.1:${port}/v1`,
        model: "qwen2.5-7b-instruct",
        apiKeyEnv: "CLAWOPS_TEST_AI_KEY",
        timeout: "1500ms",
      },
    });
    // Crashes at every start: a restart cannot fix it and no deep fix applies.
    bot = await h.addBot("beta", { exitCode: 1 });
    await h.supervisor.start("beta", "test");
    // A log that leaks secrets: the planner must see them masked.
    appendFileSync(
      gatewayLogFile(h.dir, "beta"),
      `boot: using token ${TOKEN} and key ${PROVIDER_KEY}\n`,
    );
  });
  afterAll(async () => {
    await h.close();
    planner.server.close();
  });
  afterEach(() => planner.answerWith("{}"));

  const bad: [string, string, RegExp][] = [
    [
      "an action off the allowlist",
      JSON.stringify({ diagnosis: "x", actions: [{ action: "reinstall-openclaw" }] }),
      /not on the allowlist/,
    ],
    [
      "rm -rf",
      JSON.stringify({ diagnosis: "x", actions: [{ action: "rm -rf /var/lib/openclaw" }] }),
      /not on the allowlist/,
    ],
    [
      "a shell string in the parameters",
      JSON.stringify({
        diagnosis: "x",
        actions: [{ action: "restart", params: { cmd: "bash -c 'kill -9 -1'" } }],
      }),
      /bad parameters/,
    ],
    ["malformed JSON", '{"diagnosis": "x", "actions": [{"action": "restart"', /not JSON/],
    [
      "a plan for another bot",
      JSON.stringify({ diagnosis: "x", actions: [{ action: "restart", bot: "alpha" }] }),
      /targets bot "alpha"/,
    ],
  ];
  for (const [what, content, reason] of bad) {
    it(`rejects ${what}: nothing of it runs, humans are told`, async () => {
      planner.answerWith(content);
      const record = await h.service.repair("beta", { actor: "test" });
      expect(record.outcome).toBe("escalated");
      expect(record.actions.map((a) => [a.tier, a.action, a.status])).toEqual([
        [1, "restart", "failed"],
        [3, "ai-plan", "rejected"],
      ]);
      expect(record.actions[1]!.detail).toMatch(reason);
      expect(h.notifications.at(-1)).toMatchObject({ kind: "escalated", bot: "beta" });
    });
  }

  it("gives up on a planner that does not answer within its timeout", async () => {
    planner.hang();
    const started = Date.now();
    const record = await h.service.repair("beta", { actor: "test" });
    expect(record.actions.at(-1)).toMatchObject({ action: "ai-plan", status: "rejected" });
    expect(record.actions.at(-1)!.detail).toMatch(/no answer .* within 1500ms/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("runs a good plan, verifies it, and never shows the model a secret", async () => {
    const before = planner.requests.length;
    // The fault clears by the time the model answers (a transient one): its restart works.
    planner.answerWith(
      JSON.stringify({
        diagnosis: "the gateway exits at boot; restart it once the cause is gone",
        actions: [
          { action: "wait", params: { seconds: 1 }, reason: "let the port settle" },
          { action: "restart", bot: "beta" },
        ],
      }),
      () => writeBotConfig(bot.configPath, {}),
    );
    const record = await h.service.repair("beta", { actor: "test" });
    expect(record.outcome).toBe("recovered");
    expect(record.tier).toBe(3);
    expect(record.actions.map((a) => [a.tier, a.action, a.status])).toEqual([
      [1, "restart", "failed"],
      [3, "wait", "ok"],
      [3, "restart", "ok"],
    ]);
    expect(record.summary).toMatch(/tier 3: the gateway exits at boot/);
    const sent = planner.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.authorization).toBe("Bearer ai-endpoint-key-abcdef");
    const body = JSON.parse(sent[0]!.body) as {
      model: string;
      messages: { role: string; content: string }[];
    };
    expect(body.model).toBe("qwen2.5-7b-instruct");
    const prompt = body.messages.map((m) => m.content).join("\n");
    expect(prompt).toContain("boot: using token [REDACTED] and key [REDACTED]");
    expect(prompt).toContain("kill-verified-stale-listener");
    for (const secret of [TOKEN, PROVIDER_KEY, "ai-endpoint-key-abcdef"])
      expect(prompt).not.toContain(secret);
  });

  it("keeps the operator's desired state when a plan stops the gateway", async () => {
    writeBotConfig(bot.configPath, { exitCode: 1 });
    planner.answerWith(JSON.stringify({ diagnosis: "stop it", actions: [{ action: "stop" }] }));
    const record = await h.service.repair("beta", { actor: "test" });
    expect(record.actions.at(-1)).toMatchObject({ tier: 3, action: "stop", status: "ok" });
    expect(record.outcome).toBe("escalated");
    expect((await h.store.findBot("beta"))!.desiredState).toBe("running");
    await h.supervisor.start("beta", "test");
  });

  it("in a dry run asks the planner and shows its plan, and changes nothing", async () => {
    writeBotConfig(bot.configPath, { exitCode: 1 });
    await h.supervisor.restart("beta", "test");
    planner.answerWith(
      JSON.stringify({ diagnosis: "restart it", actions: [{ action: "restart" }] }),
    );
    const record = await h.service.repair("beta", { actor: "dry-runner", dryRun: true });
    expect(record.outcome).toBe("planned");
    expect(record.actions.map((a) => [a.tier, a.action, a.status])).toEqual([
      [1, "restart", "planned"],
      [3, "restart", "planned"],
    ]);
    // The supervisor keeps restarting the crashing stand-in on its own; the dry run did nothing.
    await h.bus.flush(5_000);
    const acted = await h.store.listEvents({ botId: bot.id, type: "gateway.state", limit: 1000 });
    expect(acted.filter((e) => e.actor === "dry-runner")).toEqual([]);
  });

  it("ends a repair interrupted when clawops stops, without telling anyone it escalated", async () => {
    writeBotConfig(bot.configPath, { exitCode: 1 });
    planner.answerWith(
      JSON.stringify({
        diagnosis: "wait, then restart",
        actions: [{ action: "wait", params: { seconds: 60 } }, { action: "restart" }],
      }),
    );
    const told = h.notifications.length;
    const running = h.service.repair("beta", { actor: "test" });
    // Tier 1 fails (the gateway crashes at boot), then the plan's wait begins.
    await expect
      .poll(async () => (await h.store.listRepairs({ limit: 1 }))[0]?.tier, { timeout: 20_000 })
      .toBe(3);
    const started = Date.now();
    await h.service.close();
    const record = await running;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(record.outcome).toBe("interrupted");
    expect(h.notifications.length).toBe(told);
    await expect(h.service.repair("beta", { actor: "test" })).rejects.toThrow(/stopping/);
  });
});

describe("repair budget and pauses (injected clock)", () => {
  let h: Harness;
  const MIN = 60_000;

  beforeAll(async () => {
    h = await harness({
      budget: { maxPerHour: 3, cooldown: "30m" },
      verifyTimeout: "10s",
      readinessGrace: "1s",
    });
    await h.addBot("gamma");
    await h.supervisor.start("gamma", "test");
  });
  afterAll(async () => h.close());

  /** Kills the stand-in and waits until the repair service has had its say. */
  async function crash(expected = 1): Promise<number> {
    const records = (await h.store.listRepairs({ limit: 1000 })).length;
    const pid = (await h.supervisor.instances())[0]!.pid!;
    process.kill(pid, "SIGKILL");
    const deadline = Date.now() + (expected > 0 ? 15_000 : 3_000);
    // Either a new record, or (paused, cooldown announced) a quiet while.
    while (Date.now() < deadline) {
      const now = await h.store.listRepairs({ limit: 1000 });
      const instance = (await h.supervisor.instances())[0]!;
      if (now.length > records && now[0]!.outcome !== "running" && instance.state === "running")
        return now.length - records;
      await sleep(50);
    }
    return 0;
  }

  it("repairs three times in an hour, then skips once with a cooldown, then repairs again", async () => {
    for (let i = 0; i < 3; i++) {
      expect(await crash()).toBe(1);
      expect((await h.store.listRepairs({ limit: 1 }))[0]).toMatchObject({
        outcome: "recovered",
        tier: 1,
        trigger: "crash",
      });
      h.clock.now += MIN;
    }
    expect(await crash()).toBe(1);
    const skipped = (await h.store.listRepairs({ limit: 1 }))[0]!;
    expect(skipped).toMatchObject({ outcome: "skipped", startedBy: "repair" });
    expect(skipped.summary).toMatch(/budget spent .* until 2026-11-23T10:32:00.000Z/);
    expect(h.notifications.at(-1)).toMatchObject({ kind: "down", bot: "gamma" });
    // Within the same cooldown: told once only.
    h.clock.now += 10 * MIN;
    expect(await crash(0)).toBe(0);
    h.clock.now += 20 * MIN;
    expect(await crash()).toBe(1);
    expect((await h.store.listRepairs({ limit: 1 }))[0]!.outcome).toBe("recovered");
    const status = await h.service.status();
    expect(status.budgets).toEqual([
      { bot: "gamma", repairing: false, remaining: 2, cooldownUntil: null },
    ]);
  }, 120_000);

  it("warns when a gateway stops being ready, and restarts it after the grace", async () => {
    const bot = (await h.store.findBot("gamma"))!;
    h.clock.now += 2 * 3_600_000;
    const before = (await h.store.listRepairs({ limit: 1000 })).length;
    writeFileSync(path.join(bot.stateDir, "not-ready"), "");
    await expect
      .poll(() => h.notifications.at(-1)?.title, { timeout: 10_000 })
      .toMatch(/^gamma: not ready: readyz/);
    // Still not ready after the grace (1 s here): a restart is the repair.
    await expect
      .poll(async () => (await h.store.listRepairs({ limit: 1000 })).length, { timeout: 10_000 })
      .toBe(before + 1);
    rmSync(path.join(bot.stateDir, "not-ready"));
    await expect
      .poll(async () => (await h.store.listRepairs({ limit: 1 }))[0]!.outcome, { timeout: 15_000 })
      .toBe("recovered");
    expect((await h.store.listRepairs({ limit: 1 }))[0]).toMatchObject({
      trigger: "readiness",
      tier: 1,
    });
  }, 60_000);

  it("escalates a gateway that comes back live but still not ready, once, instead of calling it recovered", async () => {
    const bot = (await h.store.findBot("gamma"))!;
    const state = async () => (await h.supervisor.instances())[0]!.state;
    // Ready again since the last test: only a change to degraded starts the grace.
    await expect.poll(state, { timeout: 10_000 }).toBe("running");
    h.clock.now += 2 * 3_600_000;
    const before = (await h.store.listRepairs({ limit: 1000 })).length;
    writeFileSync(path.join(bot.stateDir, "not-ready"), "");
    // The grace (1 s), a restart, then the verify timeout (10 s) waiting for /readyz.
    await expect
      .poll(async () => (await h.store.listRepairs({ limit: 1 }))[0]!.outcome, { timeout: 30_000 })
      .toBe("escalated");
    const repair = (await h.store.listRepairs({ limit: 1 }))[0]!;
    expect(repair).toMatchObject({ trigger: "readiness", tier: 1 });
    expect(repair.actions).toEqual([
      expect.objectContaining({
        action: "restart",
        status: "failed",
        detail: expect.stringMatching(
          /^restarted: pid \d+ → \d+ \(degraded\) in .*; but live, but not ready after 10\.0s \(\/readyz: not ready: failing stand-in\)$/,
        ) as unknown,
      }),
    ]);
    expect(h.notifications.at(-1)).toMatchObject({
      kind: "escalated",
      bot: "gamma",
      title: "gamma is not ready: automatic repair failed, a human is needed",
    });
    // Escalated means humans now: the new instance's own degraded spell starts no repair loop.
    await sleep(3_000);
    expect((await h.store.listRepairs({ limit: 1000 })).length).toBe(before + 1);
    rmSync(path.join(bot.stateDir, "not-ready"));
    await expect.poll(state, { timeout: 10_000 }).toBe("running");
  }, 60_000);

  it("treats one fault as one incident: a crash, then a held port, is one repair", async () => {
    h.clock.now += 2 * 3_600_000;
    const bot = (await h.store.findBot("gamma"))!;
    const before = await h.store.listRepairs({ limit: 1000 });
    const instance = (await h.supervisor.instances())[0]!;
    // The port the next start will use is held by someone else.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    const held = (squatter.address() as { port: number }).port;
    await h.store.updateBot(bot.id, { port: held });
    try {
      process.kill(instance.pid!, "SIGKILL");
      const newest = async () => {
        const all = await h.store.listRepairs({ limit: 1000 });
        return all.length > before.length ? all[0]!.outcome : "none yet";
      };
      await expect.poll(newest, { timeout: 60_000 }).toBe("escalated");
      // The supervisor's own retries keep meeting the held port: no repair of their own.
      await sleep(4_000);
      const all = await h.store.listRepairs({ limit: 1000 });
      const repairs = all.slice(0, all.length - before.length);
      // One repair, whichever of the two reports names it: the held port is seen at the
      // restart, and when it arrives while the crash waits for admission (the store's
      // pause and budget reads) the more specific trigger wins (repair/service.ts).
      expect(repairs).toHaveLength(1);
      expect(["crash:escalated", "port_conflict:escalated"]).toContain(
        `${repairs[0]!.trigger}:${repairs[0]!.outcome}`,
      );
      // Attempts that never spawned a process are no restarts.
      expect((await h.supervisor.instances())[0]!.restarts).toBe(instance.restarts);
    } finally {
      await h.store.updateBot(bot.id, { port: bot.port });
      await new Promise((resolve) => squatter.close(resolve));
    }
    await h.supervisor.start("gamma", "test");
    await expect
      .poll(async () => (await h.supervisor.instances())[0]!.state, { timeout: 15_000 })
      .toBe("running");
  }, 90_000);

  it("does not repair a paused bot, or any bot while the fleet is paused", async () => {
    for (const scope of ["gamma", null]) {
      await h.service.ledger.pause(scope, "test", "kernel upgrade");
      h.clock.now += 2 * 3_600_000;
      expect(await crash(0)).toBe(0);
      expect(h.notifications.at(-1)!.lines.join(" ")).toMatch(/paused.*kernel upgrade/);
      expect(await h.service.ledger.resume(scope, "test")).toBe(true);
    }
    expect(await crash()).toBe(1);
  }, 120_000);
});
