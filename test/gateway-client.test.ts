import { randomUUID } from "node:crypto";
import { statSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { CheckTarget } from "../src/checks/check.js";
import { wsHealth } from "../src/checks/ws-health.js";
import type { Bot } from "../src/core/bot.js";
import type { OpsError } from "../src/core/errors.js";
import { GatewayClient } from "../src/gateway/client.js";
import { versionSupport } from "../src/gateway/compat.js";
import { DeviceKeyring } from "../src/gateway/device-identity.js";
import { gatewayMethods } from "../src/gateway/methods.js";
import { OpenClawCli } from "../src/gateway/openclaw-cli.js";
import { locateOpenClaw } from "../src/gateway/openclaw-locate.js";
import { FAKE_LLM_TEXT, type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import {
  GATEWAY_RUNTIME,
  type TestGateway,
  gatewayRuntimeAvailable,
  isolatedGatewayEnv,
  GATEWAY_HOOK_TIMEOUT,
  startGateway,
} from "./harness/gateway.js";
import { freePort, lanAddress, runCli, tempDir } from "./helpers/cli.js";

describe.runIf(gatewayRuntimeAvailable())("gateway client on a real gateway", () => {
  let llm: FakeLlm;
  let gateway: TestGateway;
  const scratch = tempDir("clawops-client-");

  beforeAll(async () => {
    llm = await startFakeLlm();
    // Listening on every interface, so that one gateway serves loopback and "remote" clients.
    gateway = await startGateway({ llmBaseUrl: llm.baseUrl, bind: "lan" });
  }, GATEWAY_HOOK_TIMEOUT);
  afterAll(async () => {
    await gateway?.stop();
    await llm?.close();
    scratch.remove();
  });
  afterEach((context) => {
    if (context.task.result?.state === "fail")
      console.error(`gateway log tail:\n${gateway?.logTail()}`);
  });

  const connect = (options: Partial<Parameters<typeof GatewayClient.connect>[0]> = {}) =>
    GatewayClient.connect({ url: gateway.wsUrl, token: gateway.token, ...options });

  it("negotiates the protocol inside the offered range and knows the version", async () => {
    const client = await connect({ minProtocol: 4, maxProtocol: 6 });
    try {
      expect(client.hello.protocol).toBe(4);
      expect(versionSupport(client.hello.server.version)).toMatchObject({ level: "tested" });
    } finally {
      client.close();
    }
    const tooNew = await connect({ minProtocol: 5, maxProtocol: 6 }).catch((e: unknown) => e);
    expect((tooNew as OpsError).message).toBe(
      "protocol mismatch: the gateway speaks protocol 4, clawops offered 5-6",
    );
  });

  it("answers every typed method with a validated shape", async () => {
    const client = await connect();
    const api = gatewayMethods(client);
    try {
      expect((await api.health()).ok).toBe(true);
      const status = await api.status();
      expect(status.runtimeVersion).toBe(GATEWAY_RUNTIME.version);
      expect(status.processMemory.rssBytes).toBeGreaterThan(50_000_000);
      const info = await api.systemInfo();
      expect(info).toMatchObject({ pid: status.pid, port: gateway.port });
      const tail = await api.logsTail({ limit: 5 });
      expect(tail.lines.length).toBeGreaterThan(0);
      expect((await api.logsTail({ cursor: tail.cursor })).cursor).toBeGreaterThanOrEqual(
        tail.cursor,
      );
      const config = await api.configGet();
      expect(config).toMatchObject({ exists: true, valid: true });
      expect(config.raw).not.toContain(gateway.token);
      expect((await api.configSchema()).schema).toHaveProperty("properties.gateway");
      expect((await api.modelsList()).models.map((m) => `${m.provider}/${m.id}`)).toContain(
        "fake/fake-model",
      );
      expect((await api.modelsAuthStatus()).providers.map((p) => p.provider)).toContain("fake");

      // A real turn: chat.send starts it, agent.wait sees it end, chat.history holds it.
      const runId = randomUUID();
      const sent = await api.chatSend({
        sessionKey: "agent:main:typed",
        message: "What is 2+2?",
        idempotencyKey: runId,
      });
      expect(sent.runId).toBe(runId);
      const waited = await api.agentWait({ runId, timeoutMs: 60_000 });
      expect(waited).toMatchObject({ runId, status: "ok" });
      expect(waited.terminalReply?.text).toContain(FAKE_LLM_TEXT);
      const history = await api.chatHistory({ sessionKey: "agent:main:typed" });
      expect(history.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
      const sessions = await api.sessionsList();
      expect(sessions.sessions.map((s) => s.key)).toContain("agent:main:typed");
      expect((await api.sessionsUsage()).sessions).toBeInstanceOf(Array);
      expect((await api.usageCost({ days: 7 })).daily.length).toBeGreaterThan(0);

      // config.patch with the hash from config.get; a policy change closes every
      // connection (4001) and the client comes back by itself.
      const reconnected = new Promise<void>((resolve) =>
        client.onStatus((s) => s === "connected" && resolve()),
      );
      const patched = await api.configPatch({
        raw: JSON.stringify({ gateway: { trustedProxies: ["10.255.255.1"] } }),
        baseHash: config.hash,
        note: "clawops test",
      });
      expect(patched.changedPaths).toContain("gateway.trustedProxies");
      await reconnected;
      await expect(api.configPatch({ raw: "{}", baseHash: config.hash })).rejects.toMatchObject({
        code: "GATEWAY_ERROR",
        message: expect.stringMatching(/changed/) as string,
      });
    } finally {
      client.close();
    }
  }, 120_000);

  it("asks for pairing approval off loopback, then connects once approved", async () => {
    const remoteUrl = `ws://${lanAddress()}:${gateway.port}/`;
    const keyPath = path.join(scratch.dir, "remote-device.json");
    const keyring = DeviceKeyring.open(keyPath);
    const refused = (await GatewayClient.connect({
      url: remoteUrl,
      token: gateway.token,
      keyring,
    }).catch((e: unknown) => e)) as OpsError;
    expect(refused.code).toBe("GATEWAY_PAIRING_REQUIRED");
    const requestId = refused.details.requestId as string;
    expect(refused.message).toContain(`openclaw devices approve ${requestId}`);
    expect(refused.message).toContain(keyring.identity.deviceId.slice(0, 12));

    const admin = await connect();
    await admin.request("device.pair.approve", { requestId }, z.looseObject({}));
    admin.close();
    const remote = await GatewayClient.connect({ url: remoteUrl, token: gateway.token, keyring });
    try {
      expect(remote.hello.auth.scopes).toEqual(
        expect.arrayContaining(["operator.read", "operator.write", "operator.admin"]),
      );
      expect((await gatewayMethods(remote).health()).ok).toBe(true);
    } finally {
      remote.close();
    }
    // The device token the gateway issued is kept (0600) and is enough on its own next time.
    expect(DeviceKeyring.open(keyPath).deviceToken(remoteUrl)).toBe(remote.hello.auth.deviceToken);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const byDevice = await GatewayClient.connect({ url: remoteUrl, keyring });
    try {
      expect(byDevice.hello.auth).toMatchObject({ method: "device-token" });
      expect(byDevice.hello.auth.scopes).toContain("operator.admin");
    } finally {
      byDevice.close();
    }
    // Off loopback the gateway lets a device-less backend client in with no scopes at all: refused.
    const backend = (await GatewayClient.connect({
      url: remoteUrl,
      token: gateway.token,
      auth: "backend",
    }).catch((e: unknown) => e)) as OpsError;
    expect(backend).toMatchObject({
      code: "GATEWAY_AUTH_REJECTED",
      details: { code: "SCOPES_NOT_GRANTED", granted: [] },
    });
    expect(backend.message).toContain("must use its device identity");
  });

  it("is seen by the openclaw CLI adapter: gateway status and sessions", async () => {
    const cli = new OpenClawCli(await locateOpenClaw({ bin: GATEWAY_RUNTIME.openclaw }));
    const env = isolatedGatewayEnv(gateway.dir);
    const status = await cli.gatewayStatus({ env });
    expect(status.rpc).toMatchObject({ ok: true, version: GATEWAY_RUNTIME.version });
    expect(status.port?.listeners.map((l) => l.pid)).toContain(gateway.pid);
    const sessions = await cli.sessions({ env });
    expect(sessions.sessions.map((s) => s.key)).toContain("agent:main:typed");
  }, 60_000);

  it("passes the supervisor's WebSocket health check, and fails it with a wrong token", async () => {
    const settings = wsHealth.schema.parse({ timeout: "5s" });
    const target = (configPath: string): CheckTarget => ({
      bot: { name: "shared", port: gateway.port, configPath } as Bot,
      httpUrl: gateway.url,
      pid: gateway.pid,
      startedAtMs: Date.now(),
    });
    const signal = new AbortController().signal;
    const good = await wsHealth.run(
      target(path.join(gateway.dir, "openclaw.json")),
      settings,
      signal,
      [],
    );
    expect(good).toMatchObject({ ok: true, facts: { version: GATEWAY_RUNTIME.version } });
    expect(good.message).toMatch(/^health RPC in \d+ms$/);

    const wrong = path.join(scratch.dir, "wrong-token.json");
    writeFileSync(wrong, JSON.stringify({ gateway: { auth: { token: "not-the-token" } } }));
    const bad = await wsHealth.run(target(wrong), settings, signal, []);
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/^WebSocket health: token rejected by gateway/);
  });

  describe("clawops gateway probe", () => {
    const tokenFile = () => {
      const file = path.join(scratch.dir, "token");
      writeFileSync(file, `${gateway.token}\n`, { mode: 0o600 });
      return file;
    };

    it("reports a healthy gateway: version, protocol, auth, readiness and latencies", async () => {
      const human = await runCli(["gateway", "probe", gateway.wsUrl, "--token-file", tokenFile()], {
        cwd: scratch.dir,
      });
      expect(human.stderr).toBe("");
      expect(human.code).toBe(0);
      expect(human.stdout).toContain("verdict  HEALTHY");
      expect(human.stdout).toContain(`version  ${GATEWAY_RUNTIME.version} (from /startupz`);
      expect(human.stdout).toMatch(/connect {2}ok in [\d.]+ms · protocol 4 · backend client/);
      expect(human.stdout).toMatch(/health {3}ok · rpc median [\d.]+ms/);

      const json = await runCli(
        ["gateway", "probe", String(gateway.port), "--json", "--samples", "3"],
        { cwd: scratch.dir, env: { OPENCLAW_GATEWAY_TOKEN: gateway.token } },
      );
      const report = JSON.parse(json.stdout) as {
        verdict: string;
        tokenSource: string;
        connect: { ok: boolean; protocol: number; scopes: string[] };
        health: { samplesMs: number[] };
        http: { ready: boolean; version: string };
      };
      expect(report).toMatchObject({
        verdict: "healthy",
        tokenSource: "OPENCLAW_GATEWAY_TOKEN",
        connect: { ok: true, protocol: 4 },
        http: { ready: true, version: GATEWAY_RUNTIME.version },
      });
      expect(report.health.samplesMs).toHaveLength(3);
      expect(json.stdout).not.toContain(gateway.token);
    });

    it("probes a registered bot with the token from its openclaw.json", async () => {
      const env = { CLAWOPS_DATA_DIR: path.join(scratch.dir, "data") };
      const add = await runCli(
        [
          "bot",
          "add",
          "probed",
          "--port",
          String(gateway.port),
          "--config",
          path.join(gateway.dir, "openclaw.json"),
          "--state-dir",
          path.join(gateway.dir, "state"),
        ],
        { cwd: scratch.dir, env },
      );
      expect(add.code).toBe(0);
      const probe = await runCli(["gateway", "probe", "probed", "--json"], {
        cwd: scratch.dir,
        env,
      });
      expect(JSON.parse(probe.stdout)).toMatchObject({
        bot: "probed",
        tokenSource: "bot config",
        verdict: "healthy",
      });
      const unknown = await runCli(["gateway", "probe", "nobody"], { cwd: scratch.dir, env });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('"nobody" is neither a gateway address');
    });

    it("says what is wrong: a wrong token, nothing listening, a server that is not OpenClaw", async () => {
      const wrong = await runCli(["gateway", "probe", gateway.wsUrl, "--token", "nope"], {
        cwd: scratch.dir,
      });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain("verdict  AUTH-REJECTED");
      expect(wrong.stdout).toContain("token rejected by gateway (AUTH_TOKEN_MISMATCH)");

      const noToken = await runCli(["gateway", "probe", gateway.wsUrl], { cwd: scratch.dir });
      expect(noToken.stdout).toContain("verdict  AUTH-REJECTED: no token given");
      expect(noToken.stdout).toContain("--token-file FILE or OPENCLAW_GATEWAY_TOKEN");

      // A hung gateway (SIGSTOP): every probe and the handshake time out; it is not "unreachable".
      process.kill(gateway.pid, "SIGSTOP");
      try {
        const hung = await runCli(
          ["gateway", "probe", gateway.wsUrl, "--timeout", "1s", "--token-file", tokenFile()],
          { cwd: scratch.dir },
        );
        expect(hung.code).toBe(1);
        expect(hung.stdout).toContain("verdict  TIMEOUT: no answer from");
        expect(hung.stdout).toMatch(/connect {2}FAILED after \d[\d.]*ms: no handshake/);
      } finally {
        process.kill(gateway.pid, "SIGCONT");
      }

      const silentPort = await freePort();
      const nothing = await runCli(["gateway", "probe", `127.0.0.1:${silentPort}`, "--json"], {
        cwd: scratch.dir,
      });
      expect(nothing.code).toBe(1);
      expect(JSON.parse(nothing.stdout)).toMatchObject({ verdict: "unreachable", connect: null });

      const server: Server = createServer((_req, res) => res.end("<html>router admin</html>"));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      try {
        const port = (server.address() as { port: number }).port;
        const foreign = await runCli(["gateway", "probe", `http://127.0.0.1:${port}`], {
          cwd: scratch.dir,
        });
        expect(foreign.code).toBe(1);
        expect(foreign.stdout).toContain("verdict  NOT-OPENCLAW");
        expect(foreign.stdout).toContain(
          "answered HTTP 200 (no content type) but not as an OpenClaw gateway",
        );
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });
  });
});
