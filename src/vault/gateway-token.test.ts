import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/cli.js";
import { rejection } from "../../test/helpers/refusal.js";
import { registerSecret } from "../../test/helpers/witness.js";
import type { GatewayInstance } from "../core/gateway-state.js";
import { EventBus } from "../events/bus.js";
import { registerBot } from "../fleet/registry.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import {
  type TokenRotationDeps,
  gatewayTokenRecord,
  keepFirstToken,
  locateGatewayToken,
  rotateGatewayToken,
} from "./gateway-token.js";
import { vaultConfigSchema } from "./settings.js";
import { Vault } from "./vault.js";

const KEY = registerSecret(randomBytes(32).toString("base64"), "gateway-token test key");
const OLD = registerSecret(`old-${randomBytes(16).toString("hex")}`, "a retired gateway token");

const scratch = tempDir("clawops-gateway-token-");
const dir = scratch.dir;
let store: Store;
let bus: EventBus;
const restarts: string[] = [];
const states = new Map<string, GatewayInstance["state"]>();

const vault = (key = KEY) =>
  Vault.open(store.vault, vaultConfigSchema.parse({ keys: [{ id: "k", env: "K" }] }), { K: key });

function deps(key = KEY): TokenRotationDeps {
  return {
    store,
    bus,
    vault: vault(key),
    envFor: () => ({ HOME: dir }),
    now: () => new Date("2026-11-30T21:00:00Z"),
    supervisor: {
      instance: async (botId) => {
        const state = states.get(botId);
        return state ? ({ botId, state, pid: 1 } as GatewayInstance) : null;
      },
      restart: async (botId) => {
        restarts.push(botId);
        return { botId, state: "running", pid: 2 } as GatewayInstance;
      },
    },
  };
}

async function bot(name: string, config: string) {
  const stateDir = path.join(dir, name);
  const configPath = path.join(dir, `${name}.json5`);
  writeFileSync(configPath, config, { mode: 0o600 });
  return registerBot(
    { store, bus, dataDir: dir, portBase: 19000, portSpacing: 20 },
    { name, stateDir, configPath },
    "test",
    { allowMissingConfig: true },
  );
}

beforeAll(async () => {
  store = openSqliteStore(path.join(dir, "clawops.db"));
  await store.migrate();
  bus = new EventBus((batch) => store.appendEvents(batch), pino({ level: "silent" }));
});
afterAll(async () => {
  await bus.flush(2_000);
  await store.close();
  scratch.remove();
});

describe("gateway token rotation", () => {
  it("edits a plain token in the config after a backup, keeps it in the vault, restarts a running gateway", async () => {
    const config = `// my gateway\n{ gateway: { auth: { mode: "token", token: "${OLD}" } } }\n`;
    const plain = await bot("plain", config);
    states.set(plain.id, "running");
    const rotation = await rotateGatewayToken(deps(), "plain", "cli");
    const token = await vault().get(gatewayTokenRecord("plain"));
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    registerSecret(token, "a rotated gateway token");
    expect(rotation).toMatchObject({
      record: "gateway-token/plain",
      token: `…${token.slice(-4)}`,
      written: { kind: "config", file: plain.configPath },
      restarted: true,
      gateway: { state: "running", pid: 2 },
    });
    expect(restarts).toEqual([plain.id]);
    const written = readFileSync(plain.configPath, "utf8");
    expect(written).toBe(config.replace(OLD, token));
    expect(statSync(plain.configPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(rotation.backup!, "utf8")).toBe(config);
    expect(path.basename(rotation.backup!)).toBe("plain.json5.clawops-20261130T210000Z.bak");

    const events = await store.listEvents({ type: "bot.token_rotated" });
    expect(events.map((e) => e.data)).toEqual([
      { name: "plain", record: "gateway-token/plain", written: "config", restarted: true },
    ]);
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it("replaces a token file (singleValue or JSON pointer) and does not restart a stopped gateway", async () => {
    writeFileSync(path.join(dir, "single-token"), `${OLD}\n`, { mode: 0o600 });
    const single = await bot(
      "single",
      JSON.stringify({
        gateway: { auth: { token: { source: "file", provider: "t", id: "value" } } },
        secrets: {
          providers: { t: { source: "file", path: "~/single-token", mode: "singleValue" } },
        },
      }),
    );
    states.set(single.id, "stopped");
    const one = await rotateGatewayToken(deps(), "single", "cli");
    const token = await vault().get("gateway-token/single");
    expect(readFileSync(path.join(dir, "single-token"), "utf8")).toBe(`${token}\n`);
    expect(one).toMatchObject({ written: { kind: "file" }, backup: null, restarted: false });
    expect(restarts).not.toContain(single.id);

    writeFileSync(
      path.join(dir, "secrets.json"),
      JSON.stringify({ "gw/json": OLD, other: "kept" }),
      { mode: 0o600 },
    );
    await bot(
      "json",
      JSON.stringify({
        gateway: { auth: { token: { source: "file", provider: "v", id: "/gw~1json" } } },
        secrets: {
          providers: { v: { source: "file", path: path.join(dir, "secrets.json"), mode: "json" } },
        },
      }),
    );
    await rotateGatewayToken(deps(), "json", "cli");
    expect(JSON.parse(readFileSync(path.join(dir, "secrets.json"), "utf8"))).toEqual({
      "gw/json": await vault().get("gateway-token/json"),
      other: "kept",
    });
  });

  it("refuses what it cannot rotate, and changes nothing without a vault key", async () => {
    const refused = async (name: string, config: string, why: RegExp) => {
      await bot(name, config);
      const error = await rejection(rotateGatewayToken(deps(), name, "cli"), [OLD, KEY]);
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toMatch(why);
    };
    await refused(
      "envvar",
      '{ gateway: { auth: { token: "${GW_TOKEN}" } } }',
      /the token comes from the variable GW_TOKEN/,
    );
    await refused(
      "password",
      '{ gateway: { auth: { mode: "password", password: "x" } } }',
      /gateway\.auth\.mode is "password", not "token"/,
    );
    await refused("none", "{ gateway: {} }", /the config sets no gateway\.auth\.token/);
    await refused(
      "execref",
      '{ gateway: { auth: { token: { source: "exec", provider: "p", id: "x" } } } }',
      /comes from a exec ref/,
    );

    const config = `{ gateway: { auth: { token: "${OLD}" } } }`;
    await bot("nokey", config);
    const before = readdirSync(dir).length;
    const missing = await rejection(rotateGatewayToken(deps(""), "nokey", "cli"), [OLD, KEY]);
    expect(missing.code).toBe("VAULT_KEY_MISSING");
    expect(readFileSync(path.join(dir, "nokey.json5"), "utf8")).toBe(config);
    expect(readdirSync(dir).length).toBe(before);
    expect(await vault().entry("gateway-token/nokey")).toBeNull();
  });

  it("locates the token's home as the gateway reads it (~ expanded)", () => {
    const file = path.join(dir, "single.json5");
    expect(locateGatewayToken(file, { HOME: dir })).toEqual({
      kind: "file",
      file: path.join(dir, "single-token"),
      json: false,
      pointer: "value",
    });
    expect(existsSync(file)).toBe(true);
  });
});

describe("the first token of a provisioned instance", () => {
  const tokenFile = path.join(dir, "first-token");
  const config = (token: unknown) => {
    const configPath = path.join(dir, "first.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        gateway: { auth: { mode: "token", token } },
        secrets: {
          providers: { clawops: { source: "file", path: tokenFile, mode: "singleValue" } },
        },
      }),
    );
    return { configPath, tokenFile };
  };
  const fromFile = { source: "file", provider: "clawops", id: "value" };
  const first = registerSecret(randomBytes(24).toString("hex"), "a first gateway token");

  it("keeps a copy in the vault when the config reads the generated file", async () => {
    expect(await keepFirstToken(vault(), "fresh", config(fromFile), first)).toEqual({
      record: "gateway-token/fresh",
      note: null,
    });
    expect(await vault().get("gateway-token/fresh")).toBe(first);
  });

  it("makes no copy without a vault key, and says how one is made later", async () => {
    const keyless = Vault.open(
      store.vault,
      vaultConfigSchema.parse({ keys: [{ id: "k", env: "K" }] }),
      {},
    );
    const copy = await keepFirstToken(keyless, "keyless", config(fromFile), first);
    expect(copy.record).toBeNull();
    expect(copy.note).toMatch(
      /^no vault key \(vault key "k" is not set: set K.*\): the token is in its file only; `clawops bot rotate-token keyless` keeps the next one in the vault$/,
    );
  });

  it("makes no copy of a token the config does not read", async () => {
    const elsewhere = { source: "file", provider: "other", id: "/x" };
    for (const token of ["a-token-in-the-config-itself-0123456789", elsewhere])
      expect(await keepFirstToken(vault(), "elsewhere", config(token), first)).toEqual({
        record: null,
        note: "the config does not read the generated token file",
      });
  });
});
