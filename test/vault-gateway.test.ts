import { randomBytes, randomUUID } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import JSON5 from "json5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { OpsError } from "../src/core/errors.js";
import { sleep } from "../src/core/time.js";
import { GatewayClient } from "../src/gateway/client.js";
import { gatewayMethods } from "../src/gateway/methods.js";
import { BUILT_IN_TEMPLATES } from "../src/provision/template.js";
import { listPids, readCmdline } from "../src/system/proc.js";
import { FAKE_LLM_TEXT, type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import {
  GATEWAY_HOOK_TIMEOUT,
  GATEWAY_RUNTIME,
  acquireGatewaySlot,
  gatewayRuntimeAvailable,
  supervisedGatewayEnv,
} from "./harness/gateway.js";
import { type RunningDaemon, freePort, runCli, startUp, tempDir } from "./helpers/cli.js";
import { registerSecret } from "./helpers/witness.js";

const KEY = registerSecret(randomBytes(32).toString("base64"), "vault-gateway key");
const WRONG_KEY = registerSecret(randomBytes(32).toString("base64"), "vault-gateway wrong key");
const API_KEY = registerSecret(`sk-vault-${randomBytes(12).toString("hex")}`, "a vaulted LLM key");
const FIRST_TOKEN = registerSecret(randomBytes(24).toString("hex"), "a vaulted gateway token");
const PLAIN_TOKEN = registerSecret(randomBytes(24).toString("hex"), "a plain gateway token");

/** The test's local model server and an overlay that takes the gateway token from `record`. */
const overlay = (record: string) => `{
  agents: { defaults: { model: { primary: "local/fake-model" }, heartbeat: { every: "0m" } } },
  models: { providers: { local: {
    baseUrl: "{{env:LOCAL_LLM_URL}}", api: "openai-completions",
    models: [{ id: "fake-model", name: "Fake Model", reasoning: false, input: ["text"],
               cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
               contextWindow: 128000, maxTokens: 4096 }] } } },
  gateway: { auth: { mode: "token", token: "{{vault:${record}}}" } },
  cron: { enabled: false },
  memory: { search: { enabled: false } },
  telemetry: { enabled: false },
}
`;

/**
 * Credentials from the vault on real parts: provisioning takes a provider key
 * (the `provider/<id>` record, written through OpenClaw's own CLI on stdin)
 * and the gateway token (`{{vault:NAME}}`, a file SecretRef) from the vault,
 * refuses a missing, tampered or wrongly keyed record before writing anything;
 * the gateway boots with both; `clawops bot rotate-token` replaces the token,
 * restarts the gateway through the daemon, and the old token is refused.
 */
describe.runIf(gatewayRuntimeAvailable())("credentials from the vault", () => {
  const scratch = tempDir("clawops-vault-gw-");
  const dir = scratch.dir;
  let llm: FakeLlm;
  let httpPort = 0;
  let daemon: RunningDaemon | null = null;
  let release: (() => void) | null = null;
  const env = (key = KEY) => ({ CLAWOPS_VAULT_KEY: key, LOCAL_LLM_URL: llm.baseUrl });
  const cli = (args: string[], extra: Record<string, string> = env(), input?: string) =>
    runCli(args, { cwd: dir, env: extra, ...(input === undefined ? {} : { input }) });
  const botDir = (name: string) => path.join(dir, "data", "bots", name);
  const nothingWritten = (name: string) => {
    expect(existsSync(botDir(name))).toBe(false);
    expect(existsSync(path.join(dir, "data", "deploy", name))).toBe(false);
  };

  beforeAll(async () => {
    llm = await startFakeLlm(API_KEY);
    httpPort = await freePort();
    const templates = path.join(dir, "templates");
    cpSync(BUILT_IN_TEMPLATES, templates, { recursive: true });
    writeFileSync(path.join(templates, "overlays", "test.json5"), overlay("gw/demo"));
    writeFileSync(path.join(templates, "overlays", "prod.json5"), overlay("missing/one"));
    writeFileSync(path.join(templates, "overlays", "dev.json5"), overlay("gw/tampered"));
    writeFileSync(
      path.join(dir, "clawops.yaml"),
      stringify({
        dataDir: path.join(dir, "data"),
        http: { port: httpPort },
        openclaw: { bin: GATEWAY_RUNTIME.openclaw, node: GATEWAY_RUNTIME.node },
        // Not OpenClaw's default port: the quickstart suite's gateway may hold 18789 meanwhile.
        fleet: { portBase: await freePort() },
        provision: { templateDir: templates },
        supervisor: { stopTimeout: "10s", drainTimeout: "5s", env: supervisedGatewayEnv(dir) },
      }),
    );
  });
  afterAll(async () => {
    await daemon?.stop("SIGTERM");
    for (const pid of listPids()) if (readCmdline(pid)?.includes(dir)) process.kill(pid, "SIGKILL");
    release?.();
    await llm?.close();
    scratch.remove();
  });
  beforeAll(async () => {
    release = await acquireGatewaySlot();
  }, GATEWAY_HOOK_TIMEOUT);

  it("refuses a missing, tampered or wrongly keyed record, writing nothing; a dry run names the sources", async () => {
    expect((await cli(["vault", "put", "provider/local"], env(), API_KEY)).code).toBe(0);
    expect((await cli(["vault", "put", "gw/demo"], env(), FIRST_TOKEN)).code).toBe(0);
    expect((await cli(["vault", "put", "gw/tampered"], env(), "x".repeat(40))).code).toBe(0);
    const db = new SqliteDatabase(path.join(dir, "data", "clawops.db"));
    try {
      db.prepare("update vault_records set tag = zeroblob(16) where name = 'gw/tampered'").run();
    } finally {
      db.close();
    }

    const missing = await cli(["provision", "ghost", "--env", "prod"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'vault record "missing/one" (for gateway.auth.token) does not exist: put it with clawops vault put missing/one',
    );
    nothingWritten("ghost");

    const tampered = await cli(["provision", "bad", "--env", "dev", "--json"]);
    expect(tampered.code).toBe(1);
    const refusal = JSON.parse(tampered.stdout) as { error: { code: string; message: string } };
    expect(refusal.error.code).toBe("VAULT_TAMPERED");
    expect(refusal.error.message).toMatch(
      /^vault record "gw\/tampered" was refused: .*nothing was written$/,
    );
    nothingWritten("bad");

    const wrong = await cli(["provision", "demo", "--env", "test"], env(WRONG_KEY));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /vault record "(gw\/demo|provider\/local)": the key configured as "primary" is not the key that sealed it/,
    );
    nothingWritten("demo");

    const dry = await cli(["provision", "demo", "--env", "test", "--dry-run", "--validate"]);
    expect(dry.stderr).toBe("");
    expect(dry.stdout).toContain("local: from vault record provider/local");
    expect(dry.stdout).toContain("gateway.auth.token: from vault record gw/demo");
    expect(dry.code).toBe(0);
    nothingWritten("demo");
  }, 120_000);

  it("provisions with the vault's key and token, the gateway takes both, and rotate-token replaces the token", async () => {
    const made = await cli(["provision", "demo", "--env", "test", "--json"]);
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
    const configPath = path.join(botDir("demo"), "openclaw.json");
    const secretsFile = path.join(botDir("demo"), "vault-secrets.json");
    const config = readFileSync(configPath, "utf8");
    for (const secret of [API_KEY, FIRST_TOKEN]) expect(config).not.toContain(secret);
    expect(config).toContain('"id": "/gw~1demo"');
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(secretsFile, "utf8"))).toEqual({ "gw/demo": FIRST_TOKEN });
    const port = (JSON.parse(made.stdout) as { result: { port: number } }).result.port;

    daemon = await startUp({ cwd: dir, port: httpPort, env: env() });
    expect((await cli(["bot", "start", "demo"])).code).toBe(0);
    const url = `ws://127.0.0.1:${port}/`;
    const client = await GatewayClient.connect({ url, token: FIRST_TOKEN, bootWaitMs: 60_000 });
    try {
      const api = gatewayMethods(client);
      const runId = randomUUID();
      await api.chatSend({ sessionKey: "agent:main:vault", message: "Hi", idempotencyKey: runId });
      const waited = await api.agentWait({ runId, timeoutMs: 60_000 });
      expect(waited.terminalReply?.text).toContain(FAKE_LLM_TEXT);
      // The key reached the model server: it was pasted from the vault through OpenClaw's CLI.
      const chats = llm.requests.filter((r) => r.path.endsWith("/chat/completions"));
      expect(chats.length).toBeGreaterThan(0);
      expect(chats.every((r) => r.authorized)).toBe(true);
    } finally {
      client.close();
    }

    const rotated = await cli(["bot", "rotate-token", "demo", "--json"]);
    expect(rotated.stderr).toBe("");
    expect(rotated.code).toBe(0);
    const token = (JSON.parse(readFileSync(secretsFile, "utf8")) as Record<string, string>)[
      "gw/demo"
    ]!;
    registerSecret(token, "a rotated gateway token");
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.stdout).not.toContain(token);
    expect(JSON.parse(rotated.stdout)).toMatchObject({
      record: "gateway-token/demo",
      token: `…${token.slice(-4)}`,
      written: { kind: "file", file: secretsFile },
      backup: null,
      restarted: true,
      gateway: { state: "running" },
    });

    // The restarted gateway answers the new token and refuses the old one.
    const fresh = await GatewayClient.connect({ url, token, bootWaitMs: 60_000 });
    try {
      expect((await gatewayMethods(fresh).health()).ok).toBe(true);
    } finally {
      fresh.close();
    }
    const old = (await GatewayClient.connect({ url, token: FIRST_TOKEN }).catch(
      (e: unknown) => e,
    )) as OpsError;
    expect(old.code).toBe("GATEWAY_AUTH_REJECTED");

    // clawops's own session follower is back on the restarted gateway: it read the new token.
    let followed = false;
    for (let i = 0; i < 120 && !followed; i++) {
      const answer = (await (await daemon.fetch("/api/v1/status")).json()) as {
        gateways: { bot: string; sessions: { connected: boolean } | null }[];
      };
      followed = answer.gateways.find((g) => g.bot === "demo")?.sessions?.connected === true;
      if (!followed) await sleep(500);
    }
    expect(followed).toBe(true);

    const events = await daemon.fetch("/api/v1/events?type=bot.token_rotated");
    const body = await events.text();
    expect(body).not.toContain(token);
    expect(JSON.parse(body)).toMatchObject({
      events: [
        {
          type: "bot.token_rotated",
          data: { name: "demo", record: "gateway-token/demo", written: "file", restarted: true },
        },
      ],
    });
    const status = await cli(["status", "--json"]);
    expect(status.stdout).not.toContain(token);

    // Without the daemon, a stopped gateway's token is rotated by the CLI; --show prints it once.
    expect((await cli(["bot", "stop", "demo"])).code).toBe(0);
    await daemon.stop("SIGTERM");
    daemon = null;
    const shown = await cli(["bot", "rotate-token", "demo", "--show", "--json"]);
    expect(shown.code).toBe(0);
    const offline = JSON.parse(shown.stdout) as { shown: string; restarted: boolean; note: string };
    const third = (JSON.parse(readFileSync(secretsFile, "utf8")) as Record<string, string>)[
      "gw/demo"
    ]!;
    expect(offline).toMatchObject({ shown: third, token: `…${third.slice(-4)}`, restarted: false });
    expect(offline.note).toContain("the daemon is not running");
    expect(third).not.toBe(token);
  }, 300_000);

  it("rotates a token written plainly in a gateway's own config: backup, edit in place, restart", async () => {
    // An existing gateway registered with `bot add`: demo's config, its token in clear.
    const demo = JSON5.parse<Record<string, unknown>>(
      readFileSync(path.join(botDir("demo"), "openclaw.json"), "utf8"),
    );
    const stateDir = path.join(dir, "plain-state");
    mkdirSync(stateDir, { mode: 0o700 });
    const port = await freePort();
    const {
      secrets: _secrets,
      auth: _auth,
      ...rest
    } = JSON.parse(JSON.stringify(demo).split(botDir("demo")).join(stateDir)) as Record<
      string,
      unknown
    >;
    const plain = rest as { gateway: Record<string, unknown> };
    plain.gateway.port = port;
    plain.gateway.auth = { mode: "token", token: PLAIN_TOKEN };
    const configPath = path.join(dir, "plain.json5");
    const text = `// my own gateway: its token written by hand\n${JSON.stringify(plain, null, 2)}\n`;
    writeFileSync(configPath, text, { mode: 0o600 });
    const added = await cli([
      "bot",
      "add",
      "plain",
      "--port",
      String(port),
      "--state-dir",
      stateDir,
      "--config",
      configPath,
    ]);
    expect(added.code).toBe(0);

    daemon = await startUp({ cwd: dir, port: httpPort, env: env() });
    const startedPlain = await cli(["bot", "start", "plain"]);
    expect(startedPlain.code, startedPlain.stdout + startedPlain.stderr).toBe(0);
    const url = `ws://127.0.0.1:${port}/`;
    (await GatewayClient.connect({ url, token: PLAIN_TOKEN, bootWaitMs: 60_000 })).close();

    const rotated = await cli(["bot", "rotate-token", "plain"]);
    expect(rotated.stderr).toBe("");
    expect(rotated.code).toBe(0);
    const written = readFileSync(configPath, "utf8");
    const token = JSON5.parse<{ gateway: { auth: { token: string } } }>(written).gateway.auth.token;
    registerSecret(token, "a rotated plain gateway token");
    // Only the token changed: the comment and the rest of the file are as they were.
    expect(written).toBe(text.replace(PLAIN_TOKEN, token));
    const backup = /backup: {4}(\S+) \(holds the retired token\)/.exec(rotated.stdout)?.[1];
    expect(readFileSync(backup!, "utf8")).toBe(text);
    expect(statSync(backup!).mode & 0o777).toBe(0o600);
    expect(rotated.stdout).toMatch(/^rotated the gateway token of plain: …[0-9a-f]{4}\n/);
    expect(rotated.stdout).toMatch(/gateway: {3}restarted, running/);

    (await GatewayClient.connect({ url, token, bootWaitMs: 60_000 })).close();
    const old = (await GatewayClient.connect({ url, token: PLAIN_TOKEN }).catch(
      (e: unknown) => e,
    )) as OpsError;
    expect(old.code).toBe("GATEWAY_AUTH_REJECTED");
    expect((await cli(["bot", "stop", "plain"])).code).toBe(0);
  }, 300_000);
});
