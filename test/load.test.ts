import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionRecord } from "../src/core/session.js";
import type { LoadReport } from "../src/loadtest/report.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { GATEWAY_HOOK_TIMEOUT, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { runCli } from "./helpers/cli.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";

/**
 * `clawops load` against a real gateway under `clawops up` (small, bounded
 * runs): every message is a real turn through the gateway to the local fake
 * LLM, so the figures are clawops's and the gateway's, not a provider's.
 * The upper range (thousands of connections) runs against a stand-in in
 * bench/load.ts.
 */
describe.runIf(gatewayRuntimeAvailable())("clawops load against a real gateway", () => {
  let llm: FakeLlm;
  let up: Supervised;

  beforeAll(async () => {
    llm = await startFakeLlm();
    up = await upWithGateway({ prefix: "clawops-load-", bot: "alpha", llmBaseUrl: llm.baseUrl });
  }, GATEWAY_HOOK_TIMEOUT);
  afterAll(async () => {
    await up?.close();
    await llm?.close();
  });

  it("runs 10 users through the bot's gateway and reports every phase", async () => {
    const before = llm.requests.length;
    const reportPath = path.join(up.dir, "load.md");
    const result = await up.cli([
      "load",
      "alpha",
      "--scenario",
      "10x10",
      "--messages",
      "2",
      "--max-rate",
      "100",
      "--report-md",
      reportPath,
      "--json",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as LoadReport;
    expect(report).toMatchObject({
      passed: true,
      targets: [{ name: "alpha", url: `ws://127.0.0.1:${up.port}/` }],
      connections: { opened: 10, failed: 0 },
      messages: { sent: 20, replied: 20, failed: 0 },
    });
    // Each message was a real turn: the gateway asked the LLM once for each.
    expect(llm.requests.length - before).toBe(20);
    for (const phase of ["connect", "ack", "firstToken", "reply"] as const)
      expect(report.latency[phase]?.count, phase).toBe(phase === "connect" ? 10 : 20);
    expect(report.latency.reply!.p50).toBeGreaterThan(report.latency.ack!.p50);
    console.log(
      `10 users x 2 messages on a real gateway: ${report.throughput.repliesPerSecond} replies/s, reply p50 ${report.latency.reply!.p50} / p95 ${report.latency.reply!.p95} ms, first token p95 ${report.latency.firstToken!.p95} ms, connect p95 ${report.latency.connect!.p95} ms`,
    );
    expect(readFileSync(reportPath, "utf8")).toMatch(/^# Load run: 10x10 PASSED/);
    expect(JSON.stringify(report)).not.toContain(up.token);

    // The load's sessions are sessions like any other: clawops ingests them.
    const tagged = await up.sessionWhere(
      (s: SessionRecord) => s.sessionKey.startsWith("agent:main:load-") && s.messageCount >= 4,
      "no load session with its 2 turns",
      20_000,
    );
    expect(tagged.botName).toBe("alpha");
  }, 300_000);

  it("sends payloads over 10 KB whole", async () => {
    const before = llm.requests.length;
    const result = await up.cli([
      "load",
      "alpha",
      "--scenario",
      "large-payload",
      "--users",
      "2",
      "--json",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as LoadReport;
    expect(report.messages).toMatchObject({ sent: 6, replied: 6 });
    const padded = llm.requests
      .slice(before)
      .filter((r) => JSON.stringify(r.body).includes("the quick operator checks every gateway"));
    expect(padded).toHaveLength(6);
  });

  it("fails with auth-rejected on a wrong token, and names the class", async () => {
    const result = await runCli(
      ["load", `ws://127.0.0.1:${up.port}/`, "--scenario", "smoke", "--no-progress"],
      { cwd: up.dir, env: { OPENCLAW_GATEWAY_TOKEN: "not-the-token-not-the-token-0000" } },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("# Load run: smoke FAILED");
    expect(result.stdout).toMatch(/\| auth-rejected \| 1 \|/);
  });

  it("refuses targets off this host and scenarios over its bounds before sending anything", async () => {
    const before = llm.requests.length;
    const remote = await runCli(["load", "ws://10.0.0.5:18789/"], {
      cwd: up.dir,
      env: { OPENCLAW_GATEWAY_TOKEN: up.token },
    });
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain("load goes to gateways on this host only (loopback)");
    const big = await up.cli([
      "load",
      "alpha",
      "--scenario",
      "connections",
      "--max-connections",
      "100",
    ]);
    expect(big.code).toBe(2);
    expect(big.stderr).toContain("opens 1000 connections at once, more than --max-connections 100");
    const noToken = await runCli(
      ["load", `ws://127.0.0.1:${up.port}/`, "--token-env", "NO_SUCH_VAR"],
      {
        cwd: up.dir,
      },
    );
    expect(noToken.stderr).toContain("set the gateway's token in NO_SUCH_VAR");
    expect(llm.requests.length).toBe(before);
  });
});
