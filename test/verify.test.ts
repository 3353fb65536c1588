import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifyReport } from "../src/verify/verify.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { GATEWAY_HOOK_TIMEOUT, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { type RunningCaddy, caddyAvailable, startCaddy } from "./helpers/caddy.js";
import { freePort, runCli } from "./helpers/cli.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";

/**
 * `clawops verify` after a deploy, on a real gateway under `clawops up`: its
 * own port passes every step with a real chat turn; real Caddy in front of a
 * gateway that does not trust it, a wrong token and nothing listening each
 * fail at their own step, with the fix.
 */
describe.runIf(gatewayRuntimeAvailable() && caddyAvailable())("clawops verify", () => {
  let llm: FakeLlm;
  let up: Supervised;
  let caddy: RunningCaddy;
  let proxy = "";

  beforeAll(async () => {
    llm = await startFakeLlm();
    up = await upWithGateway({ prefix: "clawops-verify-", bot: "alpha", llmBaseUrl: llm.baseUrl });
    proxy = `http://127.0.0.1:${await freePort()}`;
    // Caddy as the docs write it, in front of a gateway that lists no trusted proxy.
    caddy = await startCaddy(
      up.dir,
      `${proxy} {\n\treverse_proxy 127.0.0.1:${up.port}\n}\n`,
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
    });
    expect(report.target).toEqual({ name: "alpha", url: `http://127.0.0.1:${up.port}` });
    expect(llm.requests.length - before).toBe(1);
    const chat = report.steps.find((s) => s.id === "chat")!;
    expect(chat.detail).toMatch(/^replied in \d+ ms/);
    expect(chat.evidence?.sessionKey).toMatch(/^agent:main:clawops-verify-[0-9a-f]{8}$/);
    expect(report.deployToVerifiedMs).toBeGreaterThan(report.durationMs);
    expect(JSON.stringify(report)).not.toContain(up.token);
  });

  it("says, in the terminal, each step with its verdict and timing", async () => {
    const result = await up.cli(["verify", "alpha"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^ok {4}health probes \(\/healthz, \/readyz\) \(\d+ms\): live and ready$/m,
    );
    expect(result.stderr).toMatch(/^ok {4}chat round trip \([\d.]+m?s\): replied in/m);
    expect(result.stdout).toMatch(
      /^alpha verified at http:\/\/127\.0\.0\.1:\d+ in [\d.]+m?s; deploy to verified/,
    );
  });

  it("fails behind a proxy the gateway does not trust, in the gateway's words, with the fix", async () => {
    const before = llm.requests.length;
    const { code, report } = await verify(["alpha", "--url", proxy]);
    expect(code).toBe(1);
    expect(verdicts(report)).toEqual({
      probes: "fail",
      doctor: "pass",
      websocket: "fail",
      chat: "skip",
    });
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
    });
    expect(report.steps.find((s) => s.id === "websocket")!.fix).toContain("gateway.auth.token");
  });

  it("fails at the probes when nothing answers at the URL", async () => {
    const { code, report } = await verify([
      "alpha",
      "--url",
      `http://127.0.0.1:${await freePort()}`,
    ]);
    expect(code).toBe(1);
    expect(report.steps[0]).toMatchObject({ id: "probes", verdict: "fail" });
    expect(report.steps[0]!.detail).toMatch(/does not answer: .*ECONNREFUSED/);
  });
});
