import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { GatewayInstance } from "../src/core/gateway-state.js";
import { sleep } from "../src/core/time.js";
import { GatewayClient } from "../src/gateway/client.js";
import { gatewayMethods } from "../src/gateway/methods.js";
import { listPids, readCmdline } from "../src/system/proc.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import {
  GATEWAY_HOOK_TIMEOUT,
  acquireGatewaySlot,
  gatewayRuntimeAvailable,
  minimalGatewayConfig,
  supervisedClawopsConfig,
} from "./harness/gateway.js";
import { type RunningDaemon, freePort, runCli, startUp, tempDir } from "./helpers/cli.js";
import { registerSecret } from "./helpers/witness.js";

/** Secrets with no recognisable shape (no `sk-`, no `token=`): only knowing them masks them. */
const secret = () => randomBytes(24).toString("base64url").replace(/[-_]/g, "x");

/**
 * A real gateway prints secrets into its output and clawops must not pass
 * them on: the provider echoes the rejected key (as real providers do), and
 * its error repeats what the user's message carried, the gateway's own token
 * and a value of `supervisor.env`; OpenClaw 2026.9.6 logs that error in full.
 * The gateway then dies (kill -9; a crash loop at the first failure), so its
 * log tail is captured; a start that OpenClaw refuses (exit 78) captures it
 * again, the earlier process's lines included, and prints it. Everything
 * clawops served, stored and printed is scanned for the three secrets.
 */
describe.runIf(gatewayRuntimeAvailable())("secrets in gateway output (real gateway)", () => {
  const scratch = tempDir("clawops-abuse-secrets-");
  const dir = scratch.dir;
  const dataDir = path.join(dir, "data");
  const gatewayToken = secret();
  const providerKey = secret();
  const envSecret = secret();
  const secrets = { gatewayToken, providerKey, envSecret };
  for (const [label, value] of Object.entries(secrets)) registerSecret(value, label);
  let llm: FakeLlm;
  let daemon: RunningDaemon | null = null;
  let release: (() => void) | null = null;
  let httpPort = 0;
  const printed: string[] = [];
  const cli = async (args: string[]) => {
    const result = await runCli(args, { cwd: dir });
    printed.push(result.stdout, result.stderr);
    return result;
  };

  beforeAll(async () => {
    llm = await startFakeLlm(providerKey);
    httpPort = await freePort();
    const config = supervisedClawopsConfig(dir, httpPort, { repair: { enabled: false } });
    // A value with a name clawops cannot recognise as secret: it counts because the operator gave it.
    config.supervisor.env.DEPLOY_NOTE = envSecret;
    writeFileSync(
      path.join(dir, "clawops.yaml"),
      stringify({
        ...config,
        supervisor: {
          ...config.supervisor,
          // One failure is a crash loop: the tail is captured once and gateway.crash_loop sent.
          restart: { crashLoopFailures: 1 },
          // The gateway itself, not clawops's doctor, refuses the broken config below: a start
          // that fails after its spawn, whose tail then holds the earlier process's last lines.
          doctorBeforeStart: false,
        },
      }),
    );
    // Waiting for a free gateway slot (other suites hold theirs for minutes) is not a test's time.
    release = await acquireGatewaySlot();
  }, GATEWAY_HOOK_TIMEOUT);
  afterAll(async () => {
    await daemon?.stop("SIGTERM");
    for (const pid of listPids()) {
      if (readCmdline(pid)?.includes(dir)) process.kill(pid, "SIGKILL");
    }
    release?.();
    await llm?.close();
    scratch.remove();
  });
  afterEach((context) => {
    if (context.task.result?.state === "fail")
      console.error(daemon?.output().split("\n").slice(-40).join("\n"));
  });

  async function gateway(): Promise<GatewayInstance> {
    const status = await cli(["status", "--json"]);
    return (JSON.parse(status.stdout) as { gateways: GatewayInstance[] }).gateways[0]!;
  }

  async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe().catch(() => null);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs}ms`);
      await sleep(250);
    }
  }

  it("masks them in the log tail it captures, serves, stores, prints and sends in events", async () => {
    const botDir = path.join(dir, "leaky");
    mkdirSync(path.join(botDir, "state"), { recursive: true });
    const port = await freePort();
    const gatewayConfig = minimalGatewayConfig({
      dir: botDir,
      port,
      token: gatewayToken,
      llmBaseUrl: llm.baseUrl,
    });
    gatewayConfig.models.providers.fake.apiKey = providerKey;
    const configPath = path.join(botDir, "openclaw.json");
    writeFileSync(configPath, JSON.stringify(gatewayConfig, null, 2));
    const added = await cli([
      "bot",
      "add",
      "leaky",
      "--port",
      String(port),
      "--config",
      configPath,
      "--state-dir",
      path.join(botDir, "state"),
    ]);
    expect(added.code, added.stderr).toBe(0);
    daemon = await startUp({ cwd: dir, port: httpPort });
    const started = await cli(["bot", "start", "leaky"]);
    expect(started.code, started.stdout + started.stderr).toBe(0);

    // A chat turn the provider rejects, echoing the key it got and what the message said.
    const marker = "ECHO";
    llm.enqueue(
      ...Array.from({ length: 3 }, () => ({
        error: {
          status: 401,
          message: ({ authorization, body }: { authorization: string; body: string }) =>
            `Incorrect API key provided: ${authorization.replace(/^Bearer /, "")}. Request: ${
              new RegExp(`${marker} [A-Za-z0-9 ]+`).exec(body)?.[0] ?? ""
            }`,
        },
      })),
    );
    const client = await GatewayClient.connect({
      url: `ws://127.0.0.1:${port}/`,
      token: gatewayToken,
      // Live is not ready: the WebSocket answers UNAVAILABLE until the gateway has booted.
      bootWaitMs: 60_000,
    });
    try {
      const api = gatewayMethods(client);
      const runId = randomUUID();
      await api.chatSend({
        sessionKey: "agent:main:leak",
        message: `${marker} ${gatewayToken} ${envSecret}`,
        idempotencyKey: runId,
      });
      await api.agentWait({ runId, timeoutMs: 60_000 }).catch(() => null);
    } finally {
      client.close();
    }
    // The real gateway printed all three: the masking below has something to do.
    const rawLog = path.join(dataDir, "logs", "leaky.log");
    await until("the gateway printing the secrets", async () => {
      const text = readFileSync(rawLog, "utf8");
      return Object.values(secrets).every((s) => text.includes(s)) ? text : null;
    });

    // That raw output is the daemon user's alone.
    expect(statSync(rawLog).mode & 0o777).toBe(0o600);

    const running = await gateway();
    process.kill(running.pid!, "SIGKILL");
    const failed = await until("the crash loop", async () => {
      const g = await gateway();
      return g.state === "failed" ? g : null;
    });
    const tail = failed.lastExit?.logTail ?? [];
    expect(tail.join("\n")).toContain("Incorrect API key provided: [REDACTED]");

    // A start that fails (OpenClaw refuses the config now: exit 78) prints the gateway's last
    // output, which the log file shares with the process before: the secrets' lines included.
    writeFileSync(
      configPath,
      JSON.stringify({ ...gatewayConfig, providers: { fake: { apiKey: providerKey } } }),
    );
    const refused = await cli(["bot", "start", "leaky", "--json"]);
    expect(refused.code, refused.stdout).toBe(1);
    const answer = JSON.parse(refused.stdout) as { gateway: GatewayInstance };
    expect(answer.gateway.lastExit?.code).toBe(78);
    expect(answer.gateway.lastExit?.logTail?.join("\n")).toContain("[REDACTED]");
    const human = await cli(["bot", "start", "leaky"]);
    expect(human.stdout).toContain("last output:");

    const api = `http://127.0.0.1:${httpPort}/api/v1`;
    const served = await Promise.all(
      ["status", "events?limit=1000", "bots"].map(async (p) =>
        (await fetch(`${api}/${p}`, { headers: daemon!.auth() })).text(),
      ),
    );
    const events = JSON.parse(served[1]!) as {
      events: { type: string; data: { lastExit?: { logTail: string[] } } }[];
    };
    const crashLoop = events.events.find((e) => e.type === "gateway.crash_loop");
    expect(crashLoop?.data.lastExit?.logTail.join("\n")).toContain("[REDACTED]");
    await cli(["events", "--json", "--limit", "1000"]);
    await cli(["status"]);
    await daemon.stop("SIGTERM");
    printed.push(daemon.output());
    // The store's files as they are on disk (the WAL included): bytes, not what an API shows.
    const stored = readdirSync(dataDir)
      .filter((f) => f.startsWith("clawops.db"))
      .map((f) => readFileSync(path.join(dataDir, f)).toString("latin1"));
    expect(stored.length).toBeGreaterThan(0);

    for (const [name, value] of Object.entries(secrets)) {
      for (const [where, texts] of [
        ["served", served],
        ["printed", printed],
        ["stored", stored],
      ] as const) {
        expect(
          texts.some((t) => t.includes(value)),
          `${name} ${where}`,
        ).toBe(false);
      }
    }
    // A boot, a chat turn, a crash loop and two refused starts of a real gateway: 56 s on a quiet
    // host, over 120 s in CI with two other gateways booting beside it.
  }, 360_000);
});
