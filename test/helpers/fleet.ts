import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { configSchema } from "../../src/config/schema.js";
import type { Bot, BotInput } from "../../src/core/bot.js";
import type { BusEvent } from "../../src/core/events.js";
import type { GatewayInstance, GatewayState } from "../../src/core/gateway-state.js";
import { sleep } from "../../src/core/time.js";
import { EventBus } from "../../src/events/bus.js";
import { registerBot } from "../../src/fleet/registry.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { Store } from "../../src/store/store.js";
import { Supervisor } from "../../src/supervisor/supervisor.js";
import { killGroupMembers } from "../../src/drivers/watch.js";
import { type RunningDaemon, freePort, startUp, tempDir } from "./cli.js";

export const STAND_IN = path.resolve(
  fileURLToPath(import.meta.url),
  "../../fixtures/stand-in-gateway.mjs",
);

/**
 * `clawops up` in `dir` over stand-in gateways declared in its clawops.yaml
 * (no OpenClaw needed; the wsHealth check, which a stand-in cannot answer, off).
 */
export async function upWithStandIns(
  dir: string,
  bots: readonly {
    name: string;
    desiredState: "running" | "stopped";
    labels?: Record<string, string>;
  }[],
): Promise<RunningDaemon> {
  const declared = [];
  for (const bot of bots) {
    const stateDir = path.join(dir, "bots", bot.name);
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(path.join(stateDir, "openclaw.json"), "{}");
    declared.push({ ...bot, port: await freePort(), stateDir });
  }
  writeFileSync(
    path.join(dir, "clawops.yaml"),
    JSON.stringify({
      openclaw: { bin: STAND_IN },
      // Memory read every 2 s: the fleet page's curve has readings within a test's time.
      supervisor: { checks: { wsHealth: { enabled: false }, rss: { period: "2s" } } },
      fleet: { bots: declared },
    }),
  );
  return startUp({ cwd: dir, port: await freePort() });
}

export interface TestFleet {
  dir: string;
  store: Store;
  bus: EventBus;
  supervisor: Supervisor;
  events: BusEvent[];
  /** Registers a bot whose state dir and config live under the fleet's dir. */
  addBot(name: string, input?: Partial<BotInput>, standIn?: object): Promise<Bot>;
  /** Resolves with the bot's instance once `predicate` holds (polls the supervisor). */
  waitFor(
    bot: string,
    predicate: (instance: GatewayInstance) => boolean,
    timeoutMs?: number,
  ): Promise<GatewayInstance>;
  /** The `gateway.state` transitions of a bot, as "from>to". */
  transitions(bot: Bot): string[];
  /** A second supervisor on the same store (a clawops started again). */
  reopen(): Supervisor;
  close(): Promise<void>;
}

/**
 * A supervisor on embedded SQLite in a temp dir, running the stand-in
 * gateway unless a bot names another openclaw.
 */
export async function startFleet(supervisor: Record<string, unknown> = {}): Promise<TestFleet> {
  const temp = tempDir("clawops-fleet-");
  const dir = temp.dir;
  const store = openSqliteStore(path.join(dir, "clawops.db"));
  await store.migrate();
  const log = pino({ level: process.env.CLAWOPS_TEST_LOG ?? "silent" });
  const bus = new EventBus((batch) => store.appendEvents(batch), log);
  const events: BusEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const config = configSchema.parse({
    dataDir: dir,
    openclaw: { bin: STAND_IN },
    supervisor,
  });
  const make = () => new Supervisor({ config, store, bus, log });
  const supervisors = [make()];
  const bots = new Map<string, Bot>();
  return {
    dir,
    store,
    bus,
    get supervisor() {
      return supervisors[0]!;
    },
    events,
    async addBot(name, input = {}, standIn = {}) {
      const stateDir = input.stateDir ?? path.join(dir, "bots", name);
      mkdirSync(stateDir, { recursive: true });
      const configPath = input.configPath ?? path.join(stateDir, "openclaw.json");
      writeFileSync(configPath, JSON.stringify({ standIn }));
      const bot = await registerBot(
        { store, bus, dataDir: dir, portBase: 18789, portSpacing: 20 },
        { name, port: await freePort(), stateDir, configPath, ...input },
        "test",
      );
      bots.set(name, bot);
      return bot;
    },
    async waitFor(name, predicate, timeoutMs = 15_000) {
      const bot = bots.get(name)!;
      const deadline = Date.now() + timeoutMs;
      let last: GatewayInstance | undefined;
      while (Date.now() < deadline) {
        last = (await supervisors[0]!.instances()).find((i) => i.botId === bot.id);
        if (last && predicate(last)) return last;
        await sleep(25);
      }
      throw new Error(`${name}: condition not met in ${timeoutMs}ms; last ${JSON.stringify(last)}`);
    },
    transitions(bot) {
      return events.flatMap((e) =>
        e.type === "gateway.state" && e.botId === bot.id ? [`${e.data.from}>${e.data.to}`] : [],
      );
    },
    reopen() {
      supervisors.unshift(make());
      return supervisors[0]!;
    },
    async close() {
      for (const s of supervisors) await s.shutdown();
      // Gateways a test left running on purpose (onExit: keep) go too.
      for (const instance of await store.listInstances()) {
        if (instance.pid) killGroupMembers(instance.pid);
      }
      await bus.flush(5_000);
      bus.close();
      await store.close();
      temp.remove();
    },
  };
}

/** `state` is one of `states`. */
export const inState =
  (...states: GatewayState[]) =>
  (instance: GatewayInstance) =>
    states.includes(instance.state);
