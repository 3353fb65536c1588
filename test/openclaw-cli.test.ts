import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpsError } from "../src/core/errors.js";
import { OpenClawCli } from "../src/gateway/openclaw-cli.js";
import { locateOpenClaw } from "../src/gateway/openclaw-locate.js";
import { liveGroupMembers } from "../src/system/proc.js";
import { runProcess } from "../src/system/run.js";
import {
  GATEWAY_RUNTIME,
  gatewayRuntimeAvailable,
  isolatedGatewayEnv,
  minimalGatewayConfig,
} from "./harness/gateway.js";
import { tempDir } from "./helpers/cli.js";

/** One isolated OpenClaw home with the minimal config (no gateway runs: these are CLI calls). */
function instance(root: string, name: string, edit?: (config: Record<string, unknown>) => void) {
  const dir = path.join(root, name);
  for (const sub of ["home", "state", "tmp", "logs", "workspace"])
    mkdirSync(path.join(dir, sub), { recursive: true });
  const config = minimalGatewayConfig({
    dir,
    port: 18999,
    token: "t".repeat(40),
    llmBaseUrl: "http://127.0.0.1:9/v1",
  }) as unknown as Record<string, unknown>;
  edit?.(config);
  writeFileSync(path.join(dir, "openclaw.json"), JSON.stringify(config, null, 2));
  return { dir, env: isolatedGatewayEnv(dir), configPath: path.join(dir, "openclaw.json") };
}

describe.runIf(gatewayRuntimeAvailable())("the openclaw CLI adapter", () => {
  const scratch = tempDir("clawops-oc-cli-");
  let cli: OpenClawCli;
  beforeAll(async () => {
    cli = new OpenClawCli(await locateOpenClaw({ bin: GATEWAY_RUNTIME.openclaw }));
  });
  afterAll(() => scratch.remove());

  it("locates the CLI and a Node that satisfies its engines, passing over Node 20", async () => {
    expect(cli.command).toMatchObject({
      entry: GATEWAY_RUNTIME.openclaw,
      node: GATEWAY_RUNTIME.node,
      version: GATEWAY_RUNTIME.version,
      source: "config",
    });
    expect(cli.command.nodeVersion).toMatch(/^24\./);
    // From node_modules, with only an unsuitable Node on PATH and none given.
    const runtimeRoot = path.resolve(path.dirname(GATEWAY_RUNTIME.openclaw), "../..");
    const found = await locateOpenClaw({ cwd: runtimeRoot, env: { PATH: "/usr/bin:/bin" } });
    expect(found).toMatchObject({ source: "node_modules", node: GATEWAY_RUNTIME.node });

    const noCli = (await locateOpenClaw({
      cwd: scratch.dir,
      env: { PATH: scratch.dir },
    }).catch((e: unknown) => e)) as OpsError;
    expect(noCli.code).toBe("NOT_FOUND");
    expect(noCli.message).toMatch(
      /^openclaw CLI not found \(tried clawops openclaw install's runtime, openclaw on PATH, node_modules/,
    );
    expect(noCli.message).toContain('install it with "clawops openclaw install"');

    const badNode = (await locateOpenClaw({
      bin: GATEWAY_RUNTIME.openclaw,
      node: "/nonexistent/node",
      env: { PATH: scratch.dir },
    }).catch((e: unknown) => e)) as OpsError;
    // The configured one is missing, the runtime's own Node 24 is still found.
    expect(badNode).toMatchObject({ node: GATEWAY_RUNTIME.node });
  });

  it("validates a config: valid, an unknown root key, a wrong type", async () => {
    const good = instance(scratch.dir, "good");
    expect(await cli.configValidate({ env: good.env })).toMatchObject({
      valid: true,
      exitCode: 0,
      issues: [],
    });
    const stale = instance(scratch.dir, "stale", (c) => {
      c.providers = { openai: { apiKey: "sk-x" } };
    });
    const verdict = await cli.configValidate({ env: stale.env });
    expect(verdict).toMatchObject({ valid: false, exitCode: 1 });
    expect(verdict.issues).toContainEqual({
      path: "<root>",
      message: 'Unrecognized key: "providers"',
    });
    const typo = instance(scratch.dir, "typo", (c) => {
      (c.gateway as Record<string, unknown>).port = "abc";
    });
    expect((await cli.configValidate({ env: typo.env })).issues).toContainEqual({
      path: "gateway.port",
      message: "Invalid input: expected number, received string",
    });
  }, 60_000);

  it("lints with the doctor and lists sessions, read-only", async () => {
    const home = instance(scratch.dir, "doctor");
    const before = readFileSync(home.configPath, "utf8");
    const lint = await cli.doctorLint({ env: home.env });
    expect(lint.schemaVersion).toBe(1);
    expect(lint.findings.map((f) => f.checkId)).toContain("core/doctor/security");
    expect(lint.ok).toBe(lint.exitCode === 0);
    expect(readFileSync(home.configPath, "utf8")).toBe(before);
    expect(await cli.sessions({ env: home.env })).toMatchObject({ count: 0, sessions: [] });
    const status = await cli.gatewayStatus({ env: home.env, probeTimeoutMs: 2_000 });
    expect(status.rpc.ok).toBe(false);
  }, 90_000);

  it("writes an API key through stdin: never in argv, never in what it returns", async () => {
    const home = instance(scratch.dir, "keys");
    const key = "sk-clawops-test-0123456789";
    const result = await cli.pasteApiKey("fake", key, { env: home.env });
    expect(result.ok).toBe(true);
    expect(JSON.stringify(result)).not.toContain(key);
    const config = readFileSync(home.configPath, "utf8");
    expect(config).not.toContain(key);
    expect(config).toContain('"fake:manual"');
    await expect(cli.pasteApiKey("fake; rm -rf /", key, { env: home.env })).rejects.toMatchObject({
      code: "VALIDATION",
    });
  }, 60_000);

  it("kills the whole process group when a call runs out of time", async () => {
    const home = instance(scratch.dir, "slow");
    const error = (await cli
      .doctorLint({ env: home.env, timeoutMs: 300 })
      .catch((e: unknown) => e)) as OpsError;
    expect(error).toMatchObject({ code: "TIMEOUT", retryable: true });
    expect(error.message).toMatch(/^openclaw doctor --lint did not finish within \d+ms/);
    // runProcess itself: a group with a grandchild is gone after a timeout.
    const run = await runProcess("/bin/sh", ["-c", "sleep 30 & sleep 30"], {
      env: {},
      timeoutMs: 200,
    });
    expect(run.timedOut).toBe(true);
    expect(liveGroupMembers(run.pid)).toEqual([]);
  }, 30_000);
});
