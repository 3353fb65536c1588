import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort, tempDir } from "../../test/helpers/cli.js";
import { OpsError } from "../core/errors.js";
import type { BusEvent } from "../core/events.js";
import { type GatewayInstance, type GatewayState, newInstance } from "../core/gateway-state.js";
import { EventBus } from "../events/bus.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { type RegistryDeps, registerBot } from "./registry.js";
import { type GatewayControl, changeBot, removeBot } from "./update.js";

/** A supervisor stand-in: a gateway in `state`, recording what it was asked to do. */
function control(state: GatewayState | null, restart?: () => never) {
  const calls: string[] = [];
  const gateway = (botId: string, now: GatewayState): GatewayInstance => ({
    ...newInstance(botId),
    state: now,
  });
  const fake: GatewayControl = {
    instance: async (botId) => (state ? gateway(botId, state) : null),
    start: async (botId) => {
      calls.push("start");
      return gateway(botId, "running");
    },
    stop: async (botId) => {
      calls.push("stop");
      return gateway(botId, "stopped");
    },
    restart: async (botId) => {
      calls.push("restart");
      restart?.();
      return gateway(botId, "running");
    },
  };
  return { fake, calls };
}

let scratch: ReturnType<typeof tempDir>;
let store: Store;
let deps: RegistryDeps;
let events: BusEvent[];

beforeEach(async () => {
  scratch = tempDir("clawops-update-");
  store = openSqliteStore(path.join(scratch.dir, "clawops.db"));
  await store.migrate();
  const bus = new EventBus((batch) => store.appendEvents(batch), pino({ level: "silent" }));
  events = [];
  bus.subscribe((event) => events.push(event));
  deps = { store, bus, dataDir: scratch.dir, portBase: 18789, portSpacing: 20 };
});
afterEach(async () => {
  await store.close();
  scratch.remove();
});

async function addBot(name = "demo") {
  const stateDir = path.join(scratch.dir, "bots", name);
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(path.join(stateDir, "openclaw.json"), "{}");
  return registerBot(deps, { name, stateDir, port: await freePort() }, "test");
}

describe("changeBot", () => {
  it("restarts a live gateway on a new port or config; undoes the change when the restart is refused", async () => {
    const bot = await addBot();
    const live = control("running");
    const next = await freePort();
    const moved = await changeBot(deps, live.fake, "demo", { port: next }, "t");
    expect(moved).toMatchObject({ changed: ["port"], gatewayAction: "restarted" });
    expect(live.calls).toEqual(["restart"]);

    const refusing = control("running", () => {
      throw new OpsError("RESTART_REFUSED", "restart refused, the running gateway was kept");
    });
    const config = path.join(bot.stateDir, "other.json");
    writeFileSync(config, "{}");
    await expect(
      changeBot(deps, refusing.fake, "demo", { configPath: config, port: bot.port }, "t"),
    ).rejects.toMatchObject({ code: "RESTART_REFUSED" });
    expect(await store.findBot("demo")).toMatchObject({ port: next, configPath: bot.configPath });
    const updates = events.filter((e) => e.type === "bot.updated").map((e) => e.data);
    expect(updates).toEqual([
      { name: "demo", changed: ["port"] },
      { name: "demo", changed: ["port", "configPath"] },
      { name: "demo", changed: ["port", "configPath"] },
    ]);
  });

  it("starts or stops by desired state, and a stop wins over a restart", async () => {
    await addBot();
    const stopped = control("stopped");
    expect(
      await changeBot(deps, stopped.fake, "demo", { desiredState: "running", owner: "ops" }, "t"),
    ).toMatchObject({ gatewayAction: "started", bot: { owner: "ops", desiredState: "running" } });
    expect(stopped.calls).toEqual(["start"]);
    const live = control("running");
    const port = await freePort();
    expect(
      await changeBot(deps, live.fake, "demo", { desiredState: "stopped", port }, "t"),
    ).toMatchObject({ gatewayAction: "stopped", bot: { port } });
    expect(live.calls).toEqual(["stop"]);
    // Labels and owner only: nothing to do to the gateway.
    const labels = control("running");
    expect(await changeBot(deps, labels.fake, "demo", { labels: { a: "b" } }, "t")).toMatchObject({
      gatewayAction: null,
      changed: ["labels"],
    });
    expect(labels.calls).toEqual([]);
  });

  it("refuses a port another process listens on while the gateway is live, and bad input", async () => {
    await addBot();
    const server = createServer();
    const held = await new Promise<number>((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
    );
    try {
      await expect(
        changeBot(deps, control("running").fake, "demo", { port: held }, "t"),
      ).rejects.toMatchObject({ code: "CONFLICT", details: { field: "port" } });
      // Stopped, the port is only the registry's: as at registration.
      expect(
        (await changeBot(deps, control("stopped").fake, "demo", { port: held }, "t")).bot.port,
      ).toBe(held);
    } finally {
      server.close();
    }
    await expect(changeBot(deps, null, "demo", { stateDir: "/x" }, "t")).rejects.toMatchObject({
      code: "VALIDATION",
      message: expect.stringMatching(/stateDir/) as string,
    });
    await expect(changeBot(deps, null, "demo", { port: 1 }, "t")).rejects.toMatchObject({
      code: "VALIDATION",
    });
    await expect(
      changeBot(deps, null, "demo", { owner: "x" }, "t", { org: "elsewhere" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", message: 'no bot named "demo"' });
  });
});

describe("removeBot", () => {
  it("stops a gateway first when forced, never otherwise; files stay", async () => {
    const bot = await addBot();
    const idle = control("backoff");
    await removeBot(deps, idle.fake, "demo", "t");
    expect(idle.calls).toEqual([]);
    await addBot("again");
    const forced = control("running");
    const { removed, stopped } = await removeBot(deps, forced.fake, "again", "t", { force: true });
    expect(forced.calls).toEqual(["stop"]);
    expect(removed.name).toBe("again");
    expect(stopped?.state).toBe("stopped");
    expect(await store.listBots()).toEqual([]);
    await expect(store.getInstance(bot.id)).resolves.toBeNull();
  });
});
