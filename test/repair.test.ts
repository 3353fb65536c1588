import type { ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { type IncomingHttpHeaders, createServer } from "node:http";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { GatewayInstance } from "../src/core/gateway-state.js";
import type { RepairRecord } from "../src/core/repair.js";
import { sleep } from "../src/core/time.js";
import { isPidAlive, listPids, readCmdline } from "../src/system/proc.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { type FakeTelegram, startFakeTelegram } from "./harness/fake-telegram.js";
import {
  breakConfig,
  startStaleGateway,
  writeLegacyAuth,
  writeReusedPidLock,
} from "./harness/faults.js";
import {
  GATEWAY_HOOK_TIMEOUT,
  acquireGatewaySlot,
  gatewayRuntimeAvailable,
  minimalGatewayConfig,
  supervisedClawopsConfig,
} from "./harness/gateway.js";
import { type RunningDaemon, freePort, runCli, startUp, tempDir } from "./helpers/cli.js";

const CHAT = 4242;
const WEBHOOK_SECRET = "whsec-test-5f1c0b9e7d";

interface Hook {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Issue 5 end to end, as an operator lives it: `clawops up` with a Telegram
 * bot (a local fake of the Bot API) and a signed webhook, one real gateway,
 * and its faults: kill -9, a hang, a broken config with a known-good copy, a
 * legacy auth file, a stale lock, a stale listener. Each must be repaired
 * without a human and reported with its timings; `clawops repairs` shows them.
 */
describe.runIf(gatewayRuntimeAvailable())("repair on a real gateway", () => {
  const scratch = tempDir("clawops-repair-");
  const dir = scratch.dir;
  const botDir = path.join(dir, "alpha");
  const stateDir = path.join(botDir, "state");
  const configPath = path.join(botDir, "openclaw.json");
  const files = { botDir, stateDir, configPath };
  let llm: FakeLlm;
  let telegram: FakeTelegram;
  let daemon: RunningDaemon | null = null;
  let release: (() => void) | null = null;
  const hooks: Hook[] = [];
  const strays: ChildProcess[] = [];
  let closeHooks: () => void = () => undefined;

  const cli = (args: string[]) => runCli(args, { cwd: dir });

  async function gateway(): Promise<GatewayInstance> {
    const status = JSON.parse((await cli(["status", "--json"])).stdout) as {
      gateways: GatewayInstance[];
    };
    return status.gateways[0]!;
  }

  async function waitRunning(timeoutMs = 120_000): Promise<GatewayInstance> {
    const deadline = Date.now() + timeoutMs;
    let last: GatewayInstance | undefined;
    while (Date.now() < deadline) {
      last = await gateway().catch(() => undefined);
      if (last?.state === "running") return last;
      await sleep(250);
    }
    throw new Error(`not running after ${timeoutMs}ms: ${JSON.stringify(last)}`);
  }

  /** The next Telegram message to the operators' chat (after `since`) whose text matches. */
  function message(since: number, pattern: RegExp, timeoutMs = 180_000) {
    return telegram.waitForCall(
      "sendMessage",
      (params, call) =>
        call.seq >= since && params.chat_id === CHAT && pattern.test(String(params.text)),
      timeoutMs,
    );
  }

  async function lastRepair(): Promise<RepairRecord> {
    const listed = await cli(["repairs", "--json", "--limit", "1"]);
    return (JSON.parse(listed.stdout) as { repairs: RepairRecord[] }).repairs[0]!;
  }

  beforeAll(async () => {
    release = await acquireGatewaySlot();
    llm = await startFakeLlm();
    telegram = await startFakeTelegram();
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        hooks.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    closeHooks = () => receiver.close();
    const hookPort = (receiver.address() as { port: number }).port;
    const httpPort = await freePort();
    const port = await freePort();
    mkdirSync(stateDir, { recursive: true });
    const config = minimalGatewayConfig({
      dir: botDir,
      port,
      token: "t".repeat(48),
      llmBaseUrl: llm.baseUrl,
    });
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    writeFileSync(
      path.join(dir, "clawops.yaml"),
      stringify(
        supervisedClawopsConfig(dir, httpPort, {
          repair: { budget: { maxPerHour: 100 } },
          notify: {
            rateLimit: { count: 100 },
            notifiers: [
              { type: "telegram", chatIds: [CHAT], apiRoot: telegram.apiRoot, pollTimeout: "1s" },
              {
                type: "webhook",
                url: `http://127.0.0.1:${hookPort}/hooks/clawops`,
                secretEnv: "HOOK_SECRET",
                retryDelay: "100ms",
              },
            ],
          },
        }),
      ),
    );
    daemon = await startUp({
      cwd: dir,
      port: httpPort,
      env: { CLAWOPS_TELEGRAM_TOKEN: telegram.token, HOOK_SECRET: WEBHOOK_SECRET },
    });
    const added = await cli([
      "bot",
      "add",
      "alpha",
      "--port",
      String(port),
      "--config",
      configPath,
      "--state-dir",
      stateDir,
    ]);
    expect(added.code).toBe(0);
    expect((await cli(["bot", "start", "alpha"])).code).toBe(0);
  }, GATEWAY_HOOK_TIMEOUT);

  afterAll(async () => {
    await daemon?.stop("SIGTERM");
    for (const child of strays)
      if (child.pid && isPidAlive(child.pid)) process.kill(-child.pid, "SIGKILL");
    for (const pid of listPids()) {
      if (readCmdline(pid)?.includes(dir)) process.kill(pid, "SIGKILL");
    }
    release?.();
    closeHooks();
    await telegram?.close();
    await llm?.close();
    scratch.remove();
  });

  afterEach(async (context) => {
    if (context.task.result?.state === "fail") {
      console.error(daemon?.output().split("\n").slice(-60).join("\n"));
      console.error((await cli(["repairs", "--limit", "5"])).stdout);
    }
  });

  it("recovers a killed gateway with a restart and reports it with timings", async () => {
    const before = await waitRunning();
    const since = telegram.calls.length;
    process.kill(before.pid!, "SIGKILL");
    const sent = await message(since, /alpha recovered/);
    const text = String(sent.params.text);
    expect(text).toMatch(/alpha recovered in \d+(\.\d)?s \(tier 1: restart\)/);
    expect(text).toMatch(/detected .* after the fault/);
    const buttons = JSON.stringify(sent.params.reply_markup);
    expect(buttons).toContain("repair:alpha");
    const repair = await lastRepair();
    expect(repair).toMatchObject({
      trigger: "crash",
      tier: 1,
      outcome: "recovered",
      startedBy: "repair",
    });
    expect(repair.cause).toMatch(/SIGKILL/);
    expect(repair.actions.map((a) => [a.action, a.status])).toEqual([["restart", "ok"]]);
    const after = await gateway();
    expect(after.pid).not.toBe(before.pid);

    // The webhook got the same news, signed.
    await expect
      .poll(() => hooks.some((h) => h.body.includes(repair.id)), { timeout: 10_000 })
      .toBe(true);
    const hook = hooks.find((h) => h.body.includes(repair.id))!;
    const stamp = String(hook.headers["x-clawops-timestamp"]);
    const expected = createHmac("sha256", WEBHOOK_SECRET)
      .update(`${stamp}.${hook.body}`)
      .digest("hex");
    expect(hook.headers["x-clawops-signature"]).toBe(`sha256=${expected}`);
    expect(JSON.parse(hook.body)).toMatchObject({
      kind: "recovered",
      bot: "alpha",
      repairId: repair.id,
    });
  }, 240_000);

  it("recovers a hung gateway (SIGSTOP): detected by its checks, restarted", async () => {
    const before = await waitRunning();
    const since = telegram.calls.length;
    process.kill(before.pid!, "SIGSTOP");
    await message(since, /alpha recovered/);
    const repair = await lastRepair();
    expect(repair).toMatchObject({ trigger: "hung", tier: 1, outcome: "recovered" });
    // The fault is dated to the first failed check, before the hang was called.
    expect(Date.parse(repair.faultAt)).toBeLessThan(Date.parse(repair.detectedAt));
  }, 240_000);

  it("restores the known-good config when the config breaks, with a backup and the diff", async () => {
    const running = await waitRunning();
    const known = path.join(dir, "data", "known-good", "alpha.json");
    expect(existsSync(known)).toBe(true);
    breakConfig(files);
    const since = telegram.calls.length;
    // A planned restart checks the new config first: refused, the running gateway kept.
    const refused = await cli(["bot", "restart", "alpha"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `restart refused, the running gateway (pid ${running.pid}) was kept`,
    );
    expect((await gateway()).pid).toBe(running.pid);
    // Then it crashes: the start gate refuses the broken config, and the repair takes over.
    process.kill(running.pid!, "SIGKILL");
    const sent = await message(since, /alpha recovered/);
    const text = String(sent.params.text);
    expect(text).toContain("tier 2: restore-last-good-config");
    expect(text).toContain("providers");
    expect(text).not.toContain("sk-broken-000000");
    expect(readFileSync(configPath, "utf8")).toBe(readFileSync(known, "utf8"));
    const repair = await lastRepair();
    expect(repair).toMatchObject({ tier: 2, outcome: "recovered" });
    // The crash, or the refused start that follows it: one fault, one repair.
    expect(["crash", "config_invalid"]).toContain(repair.trigger);
    const restore = repair.actions.find((a) => a.action === "restore-last-good-config")!;
    expect(restore.status).toBe("ok");
    expect(restore.diff).toContain('-  "providers"');
    expect(readFileSync(restore.backup!, "utf8")).toContain("sk-broken-000000");
    await waitRunning();
  }, 240_000);

  it("migrates a legacy auth-profiles.json through OpenClaw's own fix, then starts", async () => {
    const running = await waitRunning();
    const legacy = writeLegacyAuth(files);
    const agentDir = path.dirname(legacy);
    const since = telegram.calls.length;
    // The gate sees the legacy file: a planned restart keeps the running gateway...
    expect((await cli(["bot", "restart", "alpha"])).code).toBe(1);
    // ...and a crash meets it at the next start: the repair migrates it.
    process.kill(running.pid!, "SIGKILL");
    const sent = await message(since, /alpha recovered/, 240_000);
    expect(String(sent.params.text)).toContain("archive-legacy-auth");
    expect(existsSync(legacy)).toBe(false);
    expect(readdirSync(agentDir).some((f) => f.startsWith("auth-profiles.json.migrated-"))).toBe(
      true,
    );
    const repair = await lastRepair();
    expect(repair).toMatchObject({ tier: 2, outcome: "recovered" });
    expect(repair.actions.map((a) => a.action)).toEqual(
      expect.arrayContaining(["archive-legacy-auth", "restart"]),
    );
  }, 300_000);

  it("moves aside a lock whose pid now belongs to another program (OpenClaw exits 78 on it)", async () => {
    await waitRunning();
    expect((await cli(["bot", "stop", "alpha"])).code).toBe(0);
    const other = writeReusedPidLock(files);
    strays.push(other);
    const since = telegram.calls.length;
    await cli(["bot", "start", "alpha"]);
    const sent = await message(since, /alpha recovered/);
    expect(String(sent.params.text)).toContain("clear-dead-lock");
    const repair = await lastRepair();
    expect(repair).toMatchObject({ trigger: "exit_78", tier: 2, outcome: "recovered" });
    expect(isPidAlive(other.pid!)).toBe(true);
    other.kill("SIGKILL");
  }, 240_000);

  it("kills a stale gateway of the same state dir that holds the port without answering", async () => {
    await waitRunning();
    expect((await cli(["bot", "stop", "alpha"])).code).toBe(0);
    const stale = await startStaleGateway(files);
    strays.push(stale);
    const since = telegram.calls.length;
    await cli(["bot", "start", "alpha"]);
    const sent = await message(since, /alpha recovered/);
    expect(String(sent.params.text)).toContain("kill-verified-stale-listener");
    const repair = await lastRepair();
    expect(repair).toMatchObject({ trigger: "port_conflict", tier: 2, outcome: "recovered" });
    await expect.poll(() => isPidAlive(stale.pid!), { timeout: 10_000 }).toBe(false);
  }, 300_000);

  it("takes commands from the operators' chat only, and pauses and resumes repair", async () => {
    await waitRunning();
    let since = telegram.calls.length;
    telegram.pushMessage(999, "/status");
    telegram.pushMessage(CHAT, "/status");
    const status = await message(since, /alpha/, 30_000);
    expect(String(status.params.text)).toMatch(/running/);
    expect(telegram.calls.some((c) => c.seq >= since && c.params.chat_id === 999)).toBe(false);

    since = telegram.calls.length;
    telegram.pushMessage(CHAT, "/pause alpha");
    await message(since, /paus/i, 30_000);
    const paused = await gateway();
    const repairsBefore = (await cli(["repairs", "--json", "--limit", "1000"])).stdout;
    since = telegram.calls.length;
    process.kill(paused.pid!, "SIGKILL");
    await message(since, /paused/, 60_000);
    await waitRunning(); // The supervisor's own restart policy still works.
    expect((await cli(["repairs", "--json", "--limit", "1000"])).stdout).toBe(repairsBefore);

    since = telegram.calls.length;
    telegram.pushMessage(CHAT, "/resume alpha");
    await message(since, /resum/i, 30_000);
    since = telegram.calls.length;
    telegram.pushMessage(CHAT, "/repair alpha");
    await message(since, /Repairing <b>alpha<\/b>/, 30_000);
    const done = await message(since, /recovered/, 180_000);
    expect(String(done.params.text)).toMatch(/tier 1/);
    expect((await lastRepair()).startedBy).toBe(`telegram:${CHAT}`);
  }, 400_000);

  it("lists every repair and its statistics", async () => {
    const listed = await cli(["repairs"]);
    expect(listed.code).toBe(0);
    // The broken config and the legacy file met a crash (a planned restart keeps the gateway).
    for (const trigger of ["crash", "hung", "exit_78", "port_conflict", "manual"])
      expect(listed.stdout).toContain(trigger);
    const stats = JSON.parse((await cli(["repairs", "--stats", "--json"])).stdout) as {
      stats: {
        successRate: number;
        recovered: number;
        escalated: number;
        meanTimeToRecoverMs: number;
        meanTimeToDetectMs: number;
      };
    };
    expect(stats.stats.escalated).toBe(0);
    expect(stats.stats.successRate).toBe(1);
    expect(stats.stats.recovered).toBeGreaterThanOrEqual(7);
    expect(stats.stats.meanTimeToRecoverMs).toBeGreaterThan(0);
    // From the fault (a crash: when the process was last known alive), not from its detection.
    expect(stats.stats.meanTimeToDetectMs).toBeGreaterThan(0);
  });
});
