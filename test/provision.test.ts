import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { z } from "zod";
import { sleep } from "../src/core/time.js";
import type { OpsError } from "../src/core/errors.js";
import { GatewayClient } from "../src/gateway/client.js";
import { DeviceKeyring } from "../src/gateway/device-identity.js";
import { gatewayMethods } from "../src/gateway/methods.js";
import { BUILT_IN_TEMPLATES } from "../src/provision/template.js";
import { listPids, readCmdline } from "../src/system/proc.js";
import { FAKE_LLM_TEXT, type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import {
  GATEWAY_RUNTIME,
  GATEWAY_HOOK_TIMEOUT,
  acquireGatewaySlot,
  gatewayRuntimeAvailable,
  supervisedGatewayEnv,
} from "./harness/gateway.js";
import {
  type RunningDaemon,
  freePort,
  lanAddress,
  runCli,
  startUp,
  tempDir,
} from "./helpers/cli.js";
import { caddyAvailable } from "./helpers/caddy.js";
import { registerSecret } from "./helpers/witness.js";

const run = promisify(execFile);

/**
 * `clawops provision` as an operator runs it, end to end on real parts: the
 * pre-deploy gate on a bad template, an instance rendered from a template
 * with a provider key from the environment written through OpenClaw's CLI,
 * which passes the doctor, starts under `clawops up`, answers a chat through
 * the local LLM with that key, and is served through real Caddy (cache
 * headers over HTTP, the WebSocket proxied).
 */
describe.runIf(gatewayRuntimeAvailable() && caddyAvailable())("clawops provision", () => {
  const scratch = tempDir("clawops-provision-");
  const dir = scratch.dir;
  const apiKey = registerSecret(
    `sk-provisioned-${randomBytes(8).toString("hex")}`,
    "a provisioned key",
  );
  registerSecret("sk-from-an-old-script", "a legacy plaintext key");
  const vaultKey = registerSecret(
    randomBytes(32).toString("base64"),
    "the provision test's vault key",
  );
  let llm: FakeLlm;
  let httpPort = 0;
  let caddyPort = 0;
  let daemon: RunningDaemon | null = null;
  let caddy: ChildProcess | null = null;
  let release: (() => void) | null = null;
  const env = () => ({
    LOCAL_API_KEY: apiKey,
    LOCAL_LLM_URL: llm.baseUrl,
    CLAWOPS_VAULT_KEY: vaultKey,
  });
  const cli = (args: string[], extra: Record<string, string> = env()) =>
    runCli(args, { cwd: dir, env: extra });

  beforeAll(async () => {
    llm = await startFakeLlm(apiKey);
    httpPort = await freePort();
    caddyPort = await freePort();
    // The operator's template: clawops's own, with a test overlay that points the
    // agents at a local model server whose key comes from $LOCAL_API_KEY.
    const templates = path.join(dir, "templates");
    cpSync(BUILT_IN_TEMPLATES, templates, { recursive: true });
    writeFileSync(
      path.join(templates, "overlays", "test.json5"),
      `// test: the local model server
{
  agents: { defaults: { model: { primary: "local/fake-model" }, heartbeat: { every: "0m" } } },
  models: {
    providers: {
      local: {
        baseUrl: "{{env:LOCAL_LLM_URL}}",
        api: "openai-completions",
        models: [{ id: "fake-model", name: "Fake Model", reasoning: false, input: ["text"],
                   cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
                   contextWindow: 128000, maxTokens: 4096 }],
      },
    },
  },
  cron: { enabled: false },
  memory: { search: { enabled: false } },
  telemetry: { enabled: false },
}
`,
    );
    writeFileSync(
      path.join(dir, "clawops.yaml"),
      stringify({
        dataDir: path.join(dir, "data"),
        http: { port: httpPort },
        openclaw: { bin: GATEWAY_RUNTIME.openclaw, node: GATEWAY_RUNTIME.node },
        // Not OpenClaw's default port: the quickstart suite's gateway may hold 18789 meanwhile.
        fleet: { portBase: await freePort() },
        // Proxied clients must not be loopback (OpenClaw refuses those as unattributable):
        // the test reaches Caddy on this machine's LAN address.
        provision: { templateDir: templates, domain: `http://${lanAddress()}:${caddyPort}` },
        supervisor: {
          stopTimeout: "10s",
          env: supervisedGatewayEnv(dir),
        },
      }),
    );
  });
  afterAll(async () => {
    caddy?.kill("SIGKILL");
    await daemon?.stop("SIGTERM");
    for (const pid of listPids()) if (readCmdline(pid)?.includes(dir)) process.kill(pid, "SIGKILL");
    release?.();
    await llm?.close();
    scratch.remove();
  });

  // Waiting for a free gateway slot (other suites hold theirs for minutes) is not a test's time.
  beforeAll(async () => {
    release = await acquireGatewaySlot();
  }, GATEWAY_HOOK_TIMEOUT);

  it("fails the pre-deploy gate on a bad template and writes nothing", async () => {
    const bad = path.join(dir, "bad-templates");
    cpSync(path.join(dir, "templates"), bad, { recursive: true });
    writeFileSync(
      path.join(bad, "overlays", "prod.json5"),
      '{ providers: { openai: { apiKey: "sk-from-an-old-script" } }, gateway: { bind: "lan", auth: null } }',
    );
    writeFileSync(
      path.join(dir, "bad.yaml"),
      readFileSync(path.join(dir, "clawops.yaml"), "utf8").replace(
        /templateDir: .*/,
        `templateDir: ${bad}`,
      ),
    );
    const gate = await runCli(
      [
        "--config",
        "bad.yaml",
        "provision",
        "gated",
        "--env",
        "prod",
        "--dry-run",
        "--validate",
        "--json",
      ],
      { cwd: dir, env: { ...env(), CI: "true" } },
    );
    expect(gate.code).toBe(1);
    const { result } = JSON.parse(gate.stdout) as {
      result: { registered: boolean; report: { findings: { id: string }[] } };
    };
    expect(result.registered).toBe(false);
    expect(result.report.findings.map((f) => f.id)).toEqual(
      expect.arrayContaining(["legacy-keys/root-providers", "bind-safety/unauthenticated"]),
    );
    expect(gate.stdout).not.toContain("sk-from-an-old-script");
    expect(existsSync(path.join(dir, "data", "bots", "gated"))).toBe(false);
    // The good template passes the same gate.
    const good = await cli(["provision", "demo", "--env", "test", "--dry-run", "--validate"]);
    expect(good.stderr).toBe("");
    expect(good.stdout).toMatch(/^would provision demo \(test\)/);
    expect(good.stdout).toContain("local: from $LOCAL_API_KEY");
    expect(good.code).toBe(0);
    expect(existsSync(path.join(dir, "data", "bots", "demo"))).toBe(false);
  }, 60_000);

  it("provisions an instance that passes the doctor, starts, answers a chat with its key, and is served by Caddy", async () => {
    const made = await cli(["provision", "demo", "--env", "test", "--json"]);
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
    expect(made.stdout).not.toContain(apiKey);
    // The generated token has a copy in the vault, as rotate-token keeps the next ones.
    expect(
      (JSON.parse(made.stdout) as { result: { gatewayToken: unknown } }).result.gatewayToken,
    ).toEqual({ record: "gateway-token/demo", note: null });
    const listed = await cli(["vault", "list", "--json"]);
    expect(listed.stdout).toContain('"gateway-token/demo"');
    const stateDir = path.join(dir, "data", "bots", "demo");
    const configPath = path.join(stateDir, "openclaw.json");
    const tokenFile = path.join(stateDir, "gateway-token");
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const written = readFileSync(configPath, "utf8");
    expect(written).not.toContain(apiKey);
    expect(written).not.toContain(readFileSync(tokenFile, "utf8").trim());
    // The key went to OpenClaw's store: the config names its profile, not the key.
    expect(written).toMatch(/"local:manual": \{\s+"provider": "local",\s+"mode": "api_key"/);

    // The whole doctor, OpenClaw's own lint included: nothing to warn about.
    const doctor = await cli(["doctor", "--bot", "demo", "--json"]);
    const { results } = JSON.parse(doctor.stdout) as {
      results: { report: { findings: { severity: string; id: string; message: string }[] } }[];
    };
    const serious = results[0]!.report.findings.filter((f) => f.severity !== "info");
    expect(serious).toEqual([]);
    expect(doctor.code).toBe(0);

    const deployDir = path.join(dir, "data", "deploy", "demo");
    const unit = readFileSync(path.join(deployDir, "openclaw-demo.service"), "utf8");
    expect(unit).toContain("RestartPreventExitStatus=78");
    expect(unit).toMatch(/ExecStart=.*openclaw\.mjs gateway run --port \d+ --bind loopback/);
    const caddyfile = path.join(deployDir, "Caddyfile");
    await run("/usr/bin/caddy", ["validate", "--adapter", "caddyfile", "--config", caddyfile], {
      env: { ...process.env, HOME: path.join(dir, "home"), XDG_DATA_HOME: path.join(dir, "home") },
    });

    // Start it under clawops: a real gateway, the token read from its file.
    daemon = await startUp({ cwd: dir, port: httpPort, env: env() });
    const started = await cli(["bot", "start", "demo"]);
    expect(started.stdout).toMatch(/^demo running/);
    expect(started.code).toBe(0);
    const port = (JSON.parse(made.stdout) as { result: { port: number } }).result.port;
    const token = readFileSync(tokenFile, "utf8").trim();

    // A chat turn answered by the local LLM, which saw the provisioned key.
    const client = await GatewayClient.connect({
      url: `ws://127.0.0.1:${port}/`,
      token,
      bootWaitMs: 60_000,
    });
    try {
      const api = gatewayMethods(client);
      const runId = randomUUID();
      await api.chatSend({
        sessionKey: "agent:main:provisioned",
        message: "Hi",
        idempotencyKey: runId,
      });
      const waited = await api.agentWait({ runId, timeoutMs: 60_000 });
      expect(waited.terminalReply?.text).toContain(FAKE_LLM_TEXT);
      const chats = llm.requests.filter((r) => r.path.endsWith("/chat/completions"));
      expect(chats.length).toBeGreaterThan(0);
      expect(chats.every((r) => r.authorized)).toBe(true);
    } finally {
      client.close();
    }

    // Real Caddy with the generated Caddyfile (admin endpoint off for the test).
    const served = path.join(dir, "Caddyfile.test");
    writeFileSync(served, `{\n\tadmin off\n}\n${readFileSync(caddyfile, "utf8")}`);
    caddy = spawn("/usr/bin/caddy", ["run", "--adapter", "caddyfile", "--config", served], {
      env: {
        ...process.env,
        HOME: path.join(dir, "home"),
        XDG_DATA_HOME: path.join(dir, "home"),
        XDG_CONFIG_HOME: path.join(dir, "home"),
      },
      stdio: "ignore",
    });
    const base = `http://${lanAddress()}:${caddyPort}`;
    let page: Response | null = null;
    for (let i = 0; i < 100 && !page; i++) {
      page = await fetch(`${base}/`).catch(() => null);
      if (!page) await sleep(100);
    }
    expect(page?.status).toBe(200);
    expect(page?.headers.get("content-type")).toMatch(/text\/html/);
    expect(page?.headers.get("cache-control")).toBe("no-cache, no-store, must-revalidate");
    const html = await page!.text();
    const asset = /(?:src|href)="(\/[^"]+\.(?:js|css))"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const assetResponse = await fetch(`${base}${asset}`);
    expect(assetResponse.status).toBe(200);
    expect(assetResponse.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");

    // The gateway's WebSocket through Caddy, at /gateway/: a remote client (its device
    // paired by an operator on loopback), then the health RPC.
    const remoteUrl = `ws://${lanAddress()}:${caddyPort}/gateway/`;
    const keyring = DeviceKeyring.open(path.join(dir, "device.json"));
    const refused = (await GatewayClient.connect({ url: remoteUrl, token, keyring }).catch(
      (e: unknown) => e,
    )) as OpsError;
    expect(refused.code).toBe("GATEWAY_PAIRING_REQUIRED");
    const admin = await GatewayClient.connect({ url: `ws://127.0.0.1:${port}/`, token });
    await admin.request(
      "device.pair.approve",
      { requestId: refused.details.requestId },
      z.looseObject({}),
    );
    admin.close();
    const proxied = await GatewayClient.connect({ url: remoteUrl, token, keyring });
    try {
      expect((await gatewayMethods(proxied).health()).ok).toBe(true);
    } finally {
      proxied.close();
    }
    expect((await cli(["bot", "stop", "demo"])).code).toBe(0);
  }, 300_000);

  it("shows drift between environments and between an instance and a file, secrets masked", async () => {
    const envs = await cli(["config", "diff", "env:test", "env:prod"]);
    expect(envs.code).toBe(1);
    expect(envs.stdout).toMatch(
      /^agents\.defaults\.model\.primary\s+"local\/fake-model"\s+"anthropic\/claude-sonnet-4-6"/m,
    );
    const copy = path.join(dir, "copy.json");
    const config = JSON.parse(
      readFileSync(path.join(dir, "data", "bots", "demo", "openclaw.json"), "utf8").replace(
        /^\/\/.*\n/gm,
        "",
      ),
    ) as { gateway: { port: number; auth: Record<string, unknown> } };
    config.gateway.port += 1;
    config.gateway.auth = { mode: "token", token: "a-plain-secret-token-0000000000" };
    writeFileSync(copy, JSON.stringify(config));
    const drift = await cli(["config", "diff", "demo", copy]);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toMatch(/^gateway\.port\s+\d+\s+\d+/m);
    expect(drift.stdout).toMatch(/gateway\.auth\.token\s+\(absent\)\s+<secret …[0-9a-f]{4}>/);
    expect(drift.stdout).not.toContain("a-plain-secret-token");
    const same = await cli(["config", "diff", "demo", "demo"]);
    expect(same.stdout).toBe("demo and demo are the same\n");
    expect(same.code).toBe(0);
    // A folder named like the bot in the working directory: ambiguous, so refused, not guessed.
    mkdirSync(path.join(dir, "demo"));
    const ambiguous = await cli(["config", "diff", "demo", copy]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(
      '"demo" is both a bot and a path here: write bot:demo or file:demo',
    );
    expect((await cli(["config", "diff", "bot:demo", `file:${copy}`])).code).toBe(1);
    rmSync(path.join(dir, "demo"), { recursive: true });
    // Nothing of the instance leaked into the scratch folders of the dry runs.
    expect(readdirSync(path.join(dir, "data", "bots"))).toEqual(["demo"]);
  });
});
