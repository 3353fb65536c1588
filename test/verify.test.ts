import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { sleep } from "../src/core/time.js";
import { GatewayClient } from "../src/gateway/client.js";
import type { VerifyReport } from "../src/verify/verify.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { GATEWAY_HOOK_TIMEOUT, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { type RunningCaddy, caddyAvailable, startCaddy } from "./helpers/caddy.js";
import { freePort, lanAddress, runCli } from "./helpers/cli.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";

/**
 * `clawops verify` after a deploy, on a real gateway under `clawops up`: its
 * own port passes every step with a real chat turn and the Control UI in real
 * Chromium; real Caddy in front of it, reached from loopback (which OpenClaw
 * refuses to attribute) and from the host's LAN address (a public-looking
 * origin: the Control UI needs it in allowedOrigins), and a Caddy that drops
 * WebSocket upgrades, a wrong token and nothing listening each fail at their
 * own step, with the fix.
 */
describe.runIf(gatewayRuntimeAvailable() && caddyAvailable())("clawops verify", () => {
  let llm: FakeLlm;
  let up: Supervised;
  let caddy: RunningCaddy;
  let proxy = "";
  let lanProxy = "";
  let noUpgrades = "";

  beforeAll(async () => {
    llm = await startFakeLlm();
    up = await upWithGateway({
      prefix: "clawops-verify-",
      bot: "alpha",
      llmBaseUrl: llm.baseUrl,
      // As clawops's own template writes it: the Control UI on, a same-host proxy trusted.
      editConfig: (config) => {
        config.gateway.controlUi = { enabled: true };
        (config.gateway as Record<string, unknown>).trustedProxies = ["127.0.0.1", "::1"];
      },
    });
    const lan = lanAddress();
    // RFC 1918 and link-local origins pass OpenClaw's same-origin rule without allowedOrigins.
    if (/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/.test(lan))
      throw new Error(
        `the allowedOrigins case needs a LAN address outside the private ranges, not ${lan}`,
      );
    proxy = `http://127.0.0.1:${await freePort()}`;
    lanProxy = `http://${lan}:${await freePort()}`;
    noUpgrades = `http://${lan}:${await freePort()}`;
    // Caddy as the docs write it; and one that answers WebSocket upgrades itself, as a
    // proxy without upgrade support does.
    caddy = await startCaddy(
      up.dir,
      `${proxy}, ${lanProxy} {\n\treverse_proxy 127.0.0.1:${up.port}\n}\n` +
        `${noUpgrades} {\n\t@upgrade header Upgrade websocket\n\trespond @upgrade "no upgrades here" 502\n\treverse_proxy 127.0.0.1:${up.port}\n}\n`,
      `${proxy}/healthz`,
    );
  }, GATEWAY_HOOK_TIMEOUT);
  afterAll(async () => {
    caddy?.stop();
    await up?.close();
    await llm?.close();
  });

  const verify = async (args: string[], env?: Record<string, string>) => {
    const result = env
      ? await runCli(["verify", ...args, "--json"], { cwd: up.dir, env })
      : await up.cli(["verify", ...args, "--json"]);
    return {
      code: result.code,
      report: JSON.parse(result.stdout) as VerifyReport,
      stderr: result.stderr,
    };
  };
  /** Verifies again until `done` says so (a gateway applying a config change), at most 2 minutes. */
  const verifyUntil = async (
    args: string[],
    done: (result: Awaited<ReturnType<typeof verify>>) => boolean,
  ) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const result = await verify(args);
      if (done(result) || Date.now() > deadline) return result;
      await sleep(2_000);
    }
  };
  const verdicts = (report: VerifyReport) =>
    Object.fromEntries(report.steps.map((s) => [s.id, s.verdict]));

  it("passes every step on the bot's own port, with a real chat turn and a deploy-to-verified time", async () => {
    const before = llm.requests.length;
    const { code, report, stderr } = await verify(["alpha"]);
    expect(code, JSON.stringify(report.steps) + stderr).toBe(0);
    expect(verdicts(report)).toEqual({
      probes: "pass",
      doctor: "pass",
      websocket: "pass",
      chat: "pass",
      browser: "pass",
    });
    expect(report.target).toEqual({ name: "alpha", url: `http://127.0.0.1:${up.port}` });
    // One turn over clawops's own connection, one typed into the Control UI.
    expect(llm.requests.length - before).toBe(2);
    const browser = report.steps.find((s) => s.id === "browser")!;
    expect(browser.detail).toMatch(
      /^the Control UI connected in \d+ ms, sent the prompt and showed the reply/,
    );
    const chat = report.steps.find((s) => s.id === "chat")!;
    expect(chat.detail).toMatch(/^replied in \d+ ms/);
    expect(chat.evidence?.sessionKey).toMatch(/^agent:main:clawops-verify-[0-9a-f]{8}$/);
    expect(report.deployToVerifiedMs).toBeGreaterThan(report.durationMs);
    expect(JSON.stringify(report)).not.toContain(up.token);
  }, 300_000);

  it("says, in the terminal, each step with its verdict and timing", async () => {
    const result = await up.cli(["verify", "alpha"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^ok {4}health probes \(\/healthz, \/readyz\) \(\d+ms\): live and ready$/m,
    );
    expect(result.stderr).toMatch(/^ok {4}chat round trip \([\d.]+m?s\): replied in/m);
    expect(result.stdout).toMatch(
      /^alpha verified at http:\/\/127\.0\.0\.1:\d+ in \S+; deploy to verified/,
    );
  }, 240_000);

  it("fails behind a proxy the gateway does not trust, in the gateway's words, with the fix", async () => {
    const before = llm.requests.length;
    const { code, report } = await verify(["alpha", "--url", proxy]);
    expect(code).toBe(1);
    expect(verdicts(report)).toEqual({
      probes: "fail",
      doctor: "pass",
      websocket: "fail",
      chat: "skip",
      browser: "fail",
    });
    const browser = report.steps.find((s) => s.id === "browser")!;
    expect(browser.detail).toMatch(/^the gateway refused the page's requests \(HTTP 403 /);
    expect(browser.fix).toContain("gateway.trustedProxies");
    expect(existsSync(String(browser.evidence?.screenshot))).toBe(true);
    const probes = report.steps.find((s) => s.id === "probes")!;
    expect(probes.detail).toContain(
      "/readyz answered HTTP 403: the gateway refused the request (Proxy client attribution is required",
    );
    expect(probes.fix).toContain("gateway.trustedProxies");
    const ws = report.steps.find((s) => s.id === "websocket")!;
    expect(ws.detail).toContain("answered HTTP 403 to a WebSocket upgrade");
    expect(ws.fix).toContain("gateway.trustedProxies");
    expect(llm.requests.length).toBe(before);
    expect(report.deployToVerifiedMs).toBeNull();
  });

  it("fails at the WebSocket step with a wrong token, and names the token as the fault", async () => {
    const { code, report } = await verify([`http://127.0.0.1:${up.port}`], {
      OPENCLAW_GATEWAY_TOKEN: "not-the-gateway-token-0123456789abcd",
    });
    expect(code).toBe(1);
    expect(verdicts(report)).toEqual({
      probes: "pass",
      doctor: "skip",
      websocket: "fail",
      chat: "skip",
      browser: "fail",
    });
    expect(report.steps.find((s) => s.id === "websocket")!.fix).toContain("gateway.auth.token");
    const browser = report.steps.find((s) => s.id === "browser")!;
    expect(browser.detail).toContain("the gateway refused the Control UI");
    expect(browser.fix).toContain("gateway.auth.token");
  });

  it("fails at the WebSocket and the browser behind a proxy that drops upgrades", async () => {
    const { code, report } = await verify(["alpha", "--url", noUpgrades]);
    expect(code).toBe(1);
    expect(verdicts(report)).toMatchObject({
      probes: "pass",
      websocket: "fail",
      chat: "skip",
      browser: "fail",
    });
    const ws = report.steps.find((s) => s.id === "websocket")!;
    expect(ws.detail).toContain("the proxy in front of it does not pass WebSocket upgrades");
    const browser = report.steps.find((s) => s.id === "browser")!;
    expect(browser.detail).toMatch(/WebSocket upgrade .* failed/);
    expect(browser.fix).toContain("forward the Upgrade and Connection headers");
  });

  it("fails at the probes when nothing answers at the URL", async () => {
    const { code, report } = await verify([
      "alpha",
      "--url",
      `http://127.0.0.1:${await freePort()}`,
      "--no-browser",
    ]);
    expect(code).toBe(1);
    expect(report.steps[0]).toMatchObject({ id: "probes", verdict: "fail" });
    expect(report.steps.at(-1)).toMatchObject({
      id: "browser",
      verdict: "skip",
      detail: "--no-browser",
    });
    expect(report.steps[0]!.detail).toMatch(/does not answer: .*ECONNREFUSED/);
  });

  it("through the proxy from the LAN: the Control UI's origin must be allowed, then all passes and no device is left", async () => {
    const refused = await verify(["alpha", "--url", lanProxy]);
    expect(refused.code).toBe(1);
    // Everything but the browser works: clawops approved its own device through the bot's loopback port.
    expect(verdicts(refused.report)).toEqual({
      probes: "pass",
      doctor: "pass",
      websocket: "pass",
      chat: "pass",
      browser: "fail",
    });
    const browser = refused.report.steps.find((s) => s.id === "browser")!;
    expect(browser.detail).toContain("origin not allowed");
    expect(browser.fix).toContain(`add "${lanProxy}" to gateway.controlUi.allowedOrigins`);
    expect(existsSync(String(browser.evidence?.screenshot))).toBe(true);

    const config = JSON.parse(readFileSync(up.configPath, "utf8")) as {
      gateway: { controlUi: Record<string, unknown> };
    };
    config.gateway.controlUi.allowedOrigins = [lanProxy];
    writeFileSync(up.configPath, JSON.stringify(config, null, 2));
    // OpenClaw restarts itself for this key (in process, ~10 s): verify until it has.
    const passed = await verifyUntil(["alpha", "--url", lanProxy], (r) => r.code === 0);
    expect(passed.code, JSON.stringify(passed.report.steps)).toBe(0);
    expect(passed.report.steps.find((s) => s.id === "browser")!.evidence).toMatchObject({
      devicesApproved: 1,
    });
    // The throw-away browser's device was removed; clawops's own stays approved.
    const admin = await GatewayClient.connect({
      url: `ws://127.0.0.1:${up.port}/`,
      token: up.token,
    });
    try {
      const devices = await admin.request(
        "device.pair.list",
        {},
        z.looseObject({ paired: z.array(z.looseObject({ clientId: z.string() })) }),
      );
      expect(devices.paired.map((d) => d.clientId)).toEqual(["gateway-client"]);
    } finally {
      admin.close();
    }
  }, 300_000);

  it("fails at the chat behind the proxy when the model's provider has no key, naming it", async () => {
    const original = readFileSync(up.configPath, "utf8");
    const config = JSON.parse(original) as { agents: { defaults: { model: { primary: string } } } };
    config.agents.defaults.model.primary = "anthropic/claude-opus-4-6";
    writeFileSync(up.configPath, JSON.stringify(config, null, 2));
    try {
      // OpenClaw applies a model change without a restart: verify until the chat says so.
      const { code, report } = await verifyUntil(["alpha", "--url", lanProxy], (r) =>
        r.report.steps.some((s) => s.id === "chat" && s.verdict === "fail"),
      );
      expect(code).toBe(1);
      expect(verdicts(report), JSON.stringify(report.steps)).toEqual({
        probes: "pass",
        doctor: "fail",
        websocket: "pass",
        chat: "fail",
        // Without a chat to show, the page has only to connect.
        browser: "pass",
      });
      expect(report.steps.find((s) => s.id === "doctor")!.detail).toContain("anthropic");
      const chat = report.steps.find((s) => s.id === "chat")!;
      expect(chat.detail).toMatch(/anthropic/i);
      expect(chat.fix).toContain("clawops doctor --bot BOT names it");
      expect(report.steps.find((s) => s.id === "browser")!.detail).toMatch(
        /^the Control UI connected in \d+ ms \(no chat/,
      );
    } finally {
      writeFileSync(up.configPath, original);
    }
  }, 240_000);
});
