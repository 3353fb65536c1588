import { spawn } from "node:child_process";
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { GatewayInstance } from "../src/core/gateway-state.js";
import { readLock } from "../src/drivers/discover.js";
import { sleep } from "../src/core/time.js";
import {
  findTcpListener,
  isRunningProcess,
  listPids,
  readCmdline,
  readProcStat,
} from "../src/system/proc.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import {
  GATEWAY_RUNTIME,
  GATEWAY_HOOK_TIMEOUT,
  acquireGatewaySlot,
  supervisedClawopsConfig,
  gatewayRuntimeAvailable,
  isolatedGatewayEnv,
  minimalGatewayConfig,
} from "./harness/gateway.js";
import { type RunningDaemon, freePort, runCli, startUp, tempDir } from "./helpers/cli.js";

/** True when the process works inside `dir` (gateways rename themselves: their command line says nothing). */
function workingIn(pid: number, dir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
  } catch {
    return false;
  }
}

/** Waits until OpenClaw's gateway lock under `stateDir` names `pid` (the gateway owns the dir). */
async function waitForLock(stateDir: string, pid: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const tmp = path.join(stateDir, "tmp");
    const dirs = (() => {
      try {
        return readdirSync(tmp).map((d) => path.join(tmp, d));
      } catch {
        return [];
      }
    })();
    for (const d of dirs) {
      for (const file of readdirSync(d).filter((f) => f.endsWith(".lock"))) {
        if (readLock(path.join(d, file))?.pid === pid) return;
      }
    }
    await sleep(200);
  }
  throw new Error(`no gateway lock for pid ${pid} under ${stateDir}`);
}

/**
 * The supervisor against real OpenClaw gateways, driven the way a user does:
 * `clawops up`, `bot add`, `bot start`, `status`, `events`, and the faults of
 * issue 4 (kill -9, SIGSTOP, a foreign listener, exit 78, a shared state dir,
 * a missing binary, an unwritable state dir, clawops killed mid-restart).
 */
describe.runIf(gatewayRuntimeAvailable())("supervisor on real gateways", () => {
  let llm: FakeLlm;
  const scratch = tempDir("clawops-sup-");
  const dir = scratch.dir;
  let daemon: RunningDaemon | null = null;
  let httpPort = 0;
  const releases: (() => void)[] = [];

  beforeAll(async () => {
    llm = await startFakeLlm();
    httpPort = await freePort();
    writeFileSync(
      path.join(dir, "clawops.yaml"),
      // The supervisor alone: its restarts, backoff and refusals, without the repair pipeline
      // acting on the same faults (test/repair.test.ts covers that).
      stringify(supervisedClawopsConfig(dir, httpPort, { repair: { enabled: false } })),
    );
    // Waiting for a free gateway slot (other suites hold theirs for minutes) is not a test's time.
    releases.push(await acquireGatewaySlot());
  }, GATEWAY_HOOK_TIMEOUT);
  afterAll(async () => {
    await daemon?.stop("SIGTERM");
    // Anything the tests left running under this dir goes (a failed test must not leak gateways).
    for (const pid of listPids()) {
      if (readCmdline(pid)?.includes(dir) || workingIn(pid, dir)) process.kill(pid, "SIGKILL");
    }
    for (const release of releases) release();
    await llm?.close();
    scratch.remove();
  });
  afterEach(async (context) => {
    if (context.task.result?.state === "fail") {
      console.error(daemon?.output().split("\n").slice(-40).join("\n"));
      console.error((await cli(["events", "--limit", "30"])).stdout);
    }
  });

  const cli = (args: string[]) => runCli(args, { cwd: dir });
  const up = async () => (daemon = await startUp({ cwd: dir, port: httpPort }));

  /** Writes a bot's state dir and openclaw.json and registers it; returns its port. */
  async function addBot(
    name: string,
    edit: (config: object) => object = (c) => c,
    extra: string[] = [],
  ) {
    const botDir = path.join(dir, name);
    mkdirSync(path.join(botDir, "state"), { recursive: true });
    const port = await freePort();
    const config = minimalGatewayConfig({
      dir: botDir,
      port,
      token: "t".repeat(48),
      llmBaseUrl: llm.baseUrl,
    });
    writeFileSync(path.join(botDir, "openclaw.json"), JSON.stringify(edit(config), null, 2));
    const added = await cli([
      "bot",
      "add",
      name,
      "--port",
      String(port),
      "--config",
      path.join(botDir, "openclaw.json"),
      "--state-dir",
      path.join(botDir, "state"),
      ...extra,
    ]);
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    return { port, stateDir: path.join(botDir, "state") };
  }

  async function gateway(name: string): Promise<GatewayInstance> {
    const status = await cli(["status", "--json"]);
    const answer = JSON.parse(status.stdout) as {
      bots: { id: string; name: string }[];
      gateways: GatewayInstance[];
    };
    const id = answer.bots.find((b) => b.name === name)!.id;
    return answer.gateways.find((g) => g.botId === id)!;
  }

  async function waitGateway(
    name: string,
    predicate: (g: GatewayInstance) => boolean,
    timeoutMs = 60_000,
  ) {
    const deadline = Date.now() + timeoutMs;
    let last: GatewayInstance | undefined;
    while (Date.now() < deadline) {
      last = await gateway(name).catch(() => undefined);
      if (last && predicate(last)) return last;
      await sleep(200);
    }
    throw new Error(`${name}: not reached in ${timeoutMs}ms; last ${JSON.stringify(last)}`);
  }

  /**
   * Processes working in a state dir: gateways ("openclaw-gateway", their process title) and
   * the spawn-broker worker each gateway starts in a process group of its own.
   */
  const processesIn = (stateDir: string) =>
    listPids().filter((pid) => {
      try {
        return readProcStat(pid)?.state !== "Z" && readlinkSync(`/proc/${pid}/cwd`) === stateDir;
      } catch {
        return false;
      }
    });
  const gatewaysIn = (stateDir: string) =>
    processesIn(stateDir).filter((pid) => readCmdline(pid) === "openclaw-gateway");

  it("runs a bot end to end: start, kill -9, SIGSTOP, clawops killed and restarted, stop", async () => {
    const { port, stateDir } = await addBot("real");
    await up();

    const started = await cli(["bot", "start", "real"]);
    expect(started.stderr).toBe("");
    expect(started.stdout).toMatch(
      new RegExp(
        `^real running: pid \\d+, port ${port}, up .* \\(ready after \\d+ms, live after \\d+ms\\)`,
      ),
    );
    expect(started.code).toBe(0);
    // The version comes with the first answers (a busy boot may push it to the first readyz check).
    const first = await waitGateway("real", (g) => g.version !== null, 10_000);
    expect(first).toMatchObject({
      state: "running",
      version: GATEWAY_RUNTIME.version,
      restarts: 0,
    });
    expect(findTcpListener(port, [first.pid!])?.pid).toBe(first.pid);

    const human = await cli(["status"]);
    expect(human.stdout).toMatch(
      /BOT\s+STATE\s+PID\s+PORT\s+VERSION\s+UPTIME\s+RESTARTS\s+READY\s+RSS\s+SESSIONS\s+LAST EXIT/,
    );
    expect(human.stdout).toMatch(
      new RegExp(`real\\s+running\\s+${first.pid}\\s+${port}\\s+2026\\.9\\.6`),
    );

    // A planned restart with a config the gate refuses keeps the gateway that runs.
    const configFile = path.join(dir, "real", "openclaw.json");
    const good = readFileSync(configFile, "utf8");
    writeFileSync(configFile, good.slice(0, Math.floor(good.length / 2)));
    const refused = await cli(["bot", "restart", "real"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^clawops: restart refused, the running gateway \\(pid ${first.pid}\\) was kept: doctor found 1 error in real's config: .*not valid JSON5`,
      ),
    );
    // Kept: the same process, no restart (a loaded host may have it degraded for a check's while).
    const kept = await gateway("real");
    expect(kept).toMatchObject({ pid: first.pid, restarts: 0 });
    expect(["running", "degraded"], kept.reason).toContain(kept.state);
    writeFileSync(configFile, good);

    // kill -9: seen at once, restarted at once.
    process.kill(first.pid!, "SIGKILL");
    const second = await waitGateway("real", (g) => g.state === "running" && g.pid !== first.pid);
    expect(second.lastExit).toMatchObject({ signal: "SIGKILL", reason: "killed by SIGKILL" });
    expect(second.restarts).toBe(1);

    // SIGSTOP: /healthz stops answering and the process uses no CPU: two timeouts in a row
    // are a hang (the count of 3 is for a gateway that still runs), killed and restarted.
    process.kill(second.pid!, "SIGSTOP");
    const third = await waitGateway("real", (g) => g.state === "running" && g.pid !== second.pid);
    expect(third.lastExit?.reason).toMatch(
      /^hung: healthz failed 2 times in a row \(no answer .*; pid \d+ was stopped \(state T\) and used no CPU for \d+\.\ds\)$/,
    );
    expect(isRunningProcess(second.pid!)).toBe(false);

    const events = JSON.parse(
      (await cli(["events", "--bot", "real", "--type", "gateway.state", "--json"])).stdout,
    ) as {
      events: { data: { from: string; to: string } }[];
    };
    // A stopped gateway may first fail /readyz (degraded) before /healthz calls it hung.
    const path_ = events.events
      .map((e) => `${e.data.from}>${e.data.to}`)
      .filter((step) => step !== "running>degraded")
      .map((step) => step.replace(/^degraded>/, "running>"));
    expect(path_).toEqual([
      "stopped>starting",
      "starting>running",
      "running>crashed",
      "crashed>starting",
      "starting>running",
      "running>crashed",
      "crashed>backoff",
      "backoff>starting",
      "starting>running",
    ]);
    const text = await cli(["events", "--bot", "real", "--type", "gateway."]);
    expect(text.stdout).toContain("running → crashed: killed by SIGKILL");

    // The same figures for Prometheus (refreshed by the daemon's self-check every 5 s).
    let metrics = "";
    const settledMetrics = (text: string) =>
      text.includes('clawops_gateway_restarts{bot="real"} 2') &&
      text.includes('clawops_gateways{state="running"} 1');
    for (let i = 0; i < 60 && !settledMetrics(metrics); i += 1) {
      metrics = await daemon!.fetch("/metrics").then((r) => r.text());
      await sleep(250);
    }
    expect(metrics).toContain('clawops_gateway_restarts{bot="real"} 2');
    expect(metrics).toContain('clawops_gateways{state="running"} 1');
    expect(metrics).toMatch(/clawops_gateway_rss_bytes\{bot="real"\} \d{8,}/);

    // clawops killed (-9): the gateway lives on, and the next clawops adopts it.
    await daemon!.stop("SIGKILL");
    expect(isRunningProcess(third.pid!)).toBe(true);
    await up();
    const adopted = await waitGateway("real", (g) => g.state === "running");
    expect(adopted.pid).toBe(third.pid);
    expect(gatewaysIn(stateDir)).toEqual([third.pid]);

    // clawops killed in the middle of a restart: the new gateway is adopted, no duplicate, no orphan.
    const restart = runCli(["bot", "restart", "real"], { cwd: dir });
    await waitGateway(
      "real",
      (g) => g.state === "starting" && g.pid !== null && g.pid !== third.pid,
      20_000,
    );
    await daemon!.stop("SIGKILL");
    await restart;
    await up();
    const after = await waitGateway("real", (g) => g.state === "running");
    expect(after.pid).not.toBe(third.pid);
    expect(gatewaysIn(stateDir)).toEqual([after.pid]);

    const stopped = await cli(["bot", "stop", "real"]);
    expect(stopped.stdout).toMatch(/^real stopped \(stop requested\)/);
    expect(isRunningProcess(after.pid!)).toBe(false);
    // No orphans: the gateway's spawn-broker (its own process group) follows it out.
    for (let i = 0; i < 50 && processesIn(stateDir).length > 0; i += 1) await sleep(100);
    expect(processesIn(stateDir)).toEqual([]);
    await daemon!.stop("SIGTERM");
    daemon = null;
    // Five gateway boots, a hang verdict and a backoff: 147 s on a quiet 2-core host, and over
    // 240 s in CI beside two other suites' gateways (a timed-out body runs on into the next test).
  }, 480_000);

  it("refuses to count a foreign listener, and fails plainly without a binary or a writable state dir", async () => {
    const { port, stateDir } = await addBot("squatted");
    const squatter = createServer((_, res) => res.end('{"ok":true,"status":"live"}'));
    await new Promise<void>((resolve) => squatter.listen(port, "127.0.0.1", resolve));
    await up();
    try {
      const result = await cli(["bot", "start", "squatted"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`port ${port} is already held by pid ${process.pid}`);
      const conflicts = JSON.parse(
        (await cli(["events", "--type", "gateway.port_conflict", "--json"])).stdout,
      ) as {
        events: { data: { pid: number; port: number } }[];
      };
      expect(conflicts.events[0]?.data).toMatchObject({ port, pid: process.pid });
      expect(gatewaysIn(stateDir)).toEqual([]);
      await cli(["bot", "stop", "squatted"]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }

    await addBot("nobin", (c) => c, ["--openclaw-bin", path.join(dir, "missing/openclaw.mjs")]);
    const nobin = await cli(["bot", "start", "nobin"]);
    expect(nobin.code).toBe(1);
    expect(nobin.stdout).toMatch(
      /^nobin failed: cannot start: openclaw CLI not found \(tried openclaw.bin .*missing\/openclaw.mjs\)/,
    );

    const blocker = path.join(dir, "not-a-dir");
    writeFileSync(blocker, "");
    // Its own valid config, so that what fails is the state dir (the doctor's gate passes it).
    mkdirSync(path.join(dir, "readonly"), { recursive: true });
    writeFileSync(
      path.join(dir, "readonly", "openclaw.json"),
      JSON.stringify(
        minimalGatewayConfig({
          dir: path.join(dir, "readonly"),
          port: 18999,
          token: "t".repeat(48),
          llmBaseUrl: llm.baseUrl,
        }),
      ),
    );
    const roArgs = (stateDir: string) => [
      "bot",
      "add",
      "readonly",
      "--port",
      "19999",
      "--state-dir",
      stateDir,
      "--config",
      path.join(dir, "readonly", "openclaw.json"),
    ];
    // Registration refuses a state dir that can never be created...
    const refused = await cli(roArgs(path.join(blocker, "state")));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/state dir .*not-a-dir\/state is a path through a file/);
    // ...and a start still says why when the state dir turns into a file afterwards.
    const later = path.join(dir, "later-state");
    expect((await cli(roArgs(later))).code).toBe(0);
    writeFileSync(later, "");
    const unwritable = await cli(["bot", "start", "readonly"]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stdout).toMatch(
      /readonly failed: cannot start: the state dir .*later-state is not writable \(EEXIST\)/,
    );
    await daemon!.stop("SIGTERM");
    daemon = null;
  }, 60_000);

  describe("with two more gateways", () => {
    beforeAll(async () => {
      releases.push(await acquireGatewaySlot(), await acquireGatewaySlot());
    }, 2 * GATEWAY_HOOK_TIMEOUT);

    it("refuses a config the doctor finds broken before spawning, starts it once fixed, and fails exit 78 once", async () => {
      await addBot("broken", (c) => ({
        ...c,
        providers: { openai: { apiKey: "sk-old-script-0000" } },
      }));
      await up();
      const broken = await cli(["bot", "start", "broken"]);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(
        /^broken failed: cannot start: doctor found 1 error in broken's config: providers: root key "providers" is from an old provisioning script/,
      );
      const failed = await waitGateway("broken", (g) => g.state === "failed");
      expect(failed.reason).toMatch(/^cannot start: doctor found 1 error/);
      expect(failed.pid).toBeNull();
      await sleep(2_000);
      expect((await gateway("broken")).restarts).toBe(0);
      // The fix the doctor proposes, then the same start succeeds on a real gateway.
      const fixed = await cli(["doctor", "--bot", "broken", "--fix", "--fast"]);
      expect(fixed.stdout).toContain('-  "providers": {');
      expect(fixed.stdout).toMatch(
        /fixed {2}providers: move providers\.openai to models\.providers/,
      );
      const started = await cli(["bot", "start", "broken"]);
      expect(started.stderr).toBe("");
      expect(started.code).toBe(0);
      expect((await gateway("broken")).state).toBe("running");
      expect((await cli(["bot", "stop", "broken"])).code).toBe(0);

      // Two bots on one state dir: the registry refuses it, even through a symlink.
      const { stateDir } = await addBot("owner");
      const link = path.join(dir, "alias-state");
      symlinkSync(stateDir, link);
      const twin = await cli([
        "bot",
        "add",
        "twin",
        "--state-dir",
        link,
        "--port",
        String(await freePort()),
      ]);
      expect(twin.code).toBe(1);
      expect(twin.stderr).toMatch(/state dir .*owner\/state is already used by bot "owner"/);

      // A gateway started by hand on that state dir (another port): the bot's own start is refused
      // by OpenClaw (exit 78), and clawops neither adopts the stranger nor loops.
      const owner = path.join(dir, "owner");
      const strangerPort = await freePort();
      const stranger = spawn(
        GATEWAY_RUNTIME.node,
        [
          GATEWAY_RUNTIME.openclaw,
          "gateway",
          "run",
          "--port",
          String(strangerPort),
          "--bind",
          "loopback",
        ],
        {
          env: {
            ...isolatedGatewayEnv(owner),
            OPENCLAW_STATE_DIR: stateDir,
            OPENCLAW_CONFIG_PATH: path.join(owner, "openclaw.json"),
          },
          cwd: owner,
          stdio: "ignore",
          detached: true,
        },
      );
      try {
        // Fully up first: two gateways booting together race for the state database.
        await waitForLock(stateDir, stranger.pid!);
        for (let i = 0; i < 300; i += 1) {
          const ready = await fetch(`http://127.0.0.1:${strangerPort}/readyz`).then(
            (r) => r.status === 200,
            () => false,
          );
          if (ready) break;
          await sleep(200);
        }
        const shared = await cli(["bot", "start", "owner"]);
        expect(shared.code).toBe(1);
        const refused = await waitGateway("owner", (g) => g.state === "failed");
        expect(refused.lastExit?.code).toBe(78);
        expect(refused.pid).toBeNull();
        expect(isRunningProcess(stranger.pid!)).toBe(true);
      } finally {
        process.kill(-stranger.pid!, "SIGKILL");
      }
      await daemon!.stop("SIGTERM");
      daemon = null;
    }, 300_000);
  });
});
