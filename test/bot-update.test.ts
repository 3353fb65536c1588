import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { Bot } from "../src/core/bot.js";
import type { GatewayInstance } from "../src/core/gateway-state.js";
import { type RunningDaemon, freePort, runCli, startUp, tempDir } from "./helpers/cli.js";
import { STAND_IN } from "./helpers/fleet.js";

interface SetAnswer {
  bot: Bot;
  changed: string[];
  gateway: GatewayInstance | null;
  gatewayAction: string | null;
  note?: string;
}

const healthz = (port: number) =>
  fetch(`http://127.0.0.1:${port}/healthz`).then(
    (r) => r.status,
    () => null,
  );

/**
 * `clawops bot set` and `clawops bot remove --force` as an operator types
 * them, against a real `clawops up` running stand-in gateways: a new port or
 * config restarts a running gateway (its old port freed), a desired state
 * starts or stops it, a running bot is removed only with --force, and its
 * files stay. Then organisations: `bot add --org` and what the API shows.
 */
describe("bot set and bot remove through the daemon", () => {
  let work: ReturnType<typeof tempDir>;
  let daemon: RunningDaemon;
  const cli = (...args: string[]) => runCli(args, { cwd: work.dir });
  async function json<T>(...args: string[]): Promise<T> {
    const result = await cli(...args, "--json");
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    return JSON.parse(result.stdout) as T;
  }
  const botConfig = (name: string, file = "openclaw.json") => {
    const dir = path.join(work.dir, "bots", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, file), JSON.stringify({ standIn: {} }));
    return { dir, config: path.join(dir, file) };
  };
  /** `clawops bot add NAME` on a free port, its config a stand-in's. */
  async function addBot(name: string, ...extra: string[]) {
    const { dir, config } = botConfig(name);
    const port = await freePort();
    const args = ["--port", String(port), "--state-dir", dir, "--config", config, ...extra];
    const { bot } = await json<{ bot: Bot }>("bot", "add", name, ...args);
    return { bot, config, port };
  }

  beforeAll(async () => {
    work = tempDir("clawops-bot-set-");
    const httpPort = await freePort();
    writeFileSync(
      path.join(work.dir, "clawops.yaml"),
      stringify({
        dataDir: path.join(work.dir, "data"),
        http: { port: httpPort },
        openclaw: { bin: STAND_IN },
        supervisor: { doctorBeforeStart: false, checks: { wsHealth: { enabled: false } } },
      }),
    );
    daemon = await startUp({ cwd: work.dir, port: httpPort });
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
    work?.remove();
  });

  it("restarts a running gateway on a new port or config, starts and stops it by desired state", async () => {
    const { port: first } = await addBot("delta");
    const started = await json<SetAnswer>("bot", "set", "delta", "--desired", "running");
    expect(started).toMatchObject({ gatewayAction: "started", gateway: { state: "running" } });
    expect(await healthz(first)).toBe(200);

    const second = await freePort();
    const moved = await json<SetAnswer>(
      "bot",
      "set",
      "delta",
      "--port",
      String(second),
      "--label",
      "tier=gold",
      "--owner",
      "ops",
    );
    expect(moved).toMatchObject({
      bot: { port: second, labels: { tier: "gold" }, owner: "ops" },
      changed: ["port", "labels", "owner"],
      gatewayAction: "restarted",
      gateway: { state: "running" },
    });
    expect(moved.gateway!.pid).not.toBe(started.gateway!.pid);
    expect(await healthz(second)).toBe(200);
    expect(await healthz(first)).toBeNull();

    // A new config file: restarted again; a label removed with key=; the text says what happened.
    const other = botConfig("delta", "other.json").config;
    const text = await cli("bot", "set", "delta", "--config", other, "--label", "tier=");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^updated delta: configPath, labels$/m);
    expect(text.stdout).toMatch(/^gateway restarted: running, pid \d+, port \d+/m);
    const shown = await json<{ bot: Bot }>("bot", "show", "delta");
    expect(shown.bot).toMatchObject({ configPath: other, labels: {} });

    // Unknown or bad values are refused before anything changes.
    const bad = await cli("bot", "set", "delta", "--port", "80");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/port/);

    const stopped = await json<SetAnswer>("bot", "set", "delta", "--desired", "stopped");
    expect(stopped).toMatchObject({ gatewayAction: "stopped", gateway: { state: "stopped" } });
    expect(await healthz(second)).toBeNull();
  });

  it("removes a running bot only with --force: stopped first, files kept", async () => {
    const { config, port } = await addBot("echo");
    expect((await cli("bot", "start", "echo")).code).toBe(0);

    const refused = await cli("bot", "remove", "echo");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/running.*--force/s);
    expect(await healthz(port)).toBe(200);

    const removed = await json<{ removed: Bot; stopped: GatewayInstance }>(
      "bot",
      "remove",
      "echo",
      "--force",
    );
    expect(removed).toMatchObject({ removed: { name: "echo" }, stopped: { state: "stopped" } });
    expect(await healthz(port)).toBeNull();
    expect(existsSync(config)).toBe(true);
    const list = await json<{ bots: Bot[] }>("bot", "list");
    expect(list.bots.map((b) => b.name)).not.toContain("echo");
  });

  it("registers into an organisation whose principals alone see the bot", async () => {
    expect((await cli("org", "add", "acme")).code).toBe(0);
    const added = await addBot("foxtrot", "--org", "acme");
    expect(added.bot.org).toBe("acme");
    const token = await json<{ secret: string }>(
      "token",
      "create",
      "acme-viewer",
      "--role",
      "viewer",
      "--org",
      "acme",
    );
    const other = await json<{ secret: string }>(
      "token",
      "create",
      "default-viewer",
      "--role",
      "viewer",
    );
    const names = async (secret: string) => {
      const response = await fetch(`${daemon.url}/api/v1/bots`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      return ((await response.json()) as { bots: Bot[] }).bots.map((b) => b.name);
    };
    expect(await names(token.secret)).toEqual(["foxtrot"]);
    expect(await names(other.secret)).not.toContain("foxtrot");
    const hidden = await fetch(`${daemon.url}/api/v1/bots/foxtrot`, {
      headers: { authorization: `Bearer ${other.secret}` },
    });
    expect(hidden.status).toBe(404);
    // The local CLI, the host's owner, sees and acts on every organisation's bots.
    const table = await cli("bot", "list");
    expect(table.stdout).toMatch(/^foxtrot\s+acme\s+/m);
  });
});
