import { spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sleep } from "../src/core/time.js";
import { registerBot } from "../src/fleet/registry.js";
import { isRunningProcess, liveGroupMembers, readCmdline } from "../src/system/proc.js";
import { inState, startFleet, type TestFleet } from "./helpers/fleet.js";

const FAST_CHECKS = {
  checks: {
    healthz: { period: "200ms", timeout: "150ms", failures: 2 },
    readyz: { period: "200ms", timeout: "150ms", failures: 2 },
    // The stand-in speaks HTTP only; the WebSocket check runs against real gateways.
    wsHealth: { enabled: false },
  },
  stopTimeout: "2s",
};

let fleet: TestFleet | null = null;
afterEach(async () => {
  await fleet?.close();
  fleet = null;
});

async function open(settings: Record<string, unknown> = FAST_CHECKS) {
  fleet = await startFleet(settings);
  return fleet;
}

describe("supervisor (stand-in gateways)", () => {
  it("starts a gateway, records its states, and stops its whole group", async () => {
    const f = await open();
    const bot = await f.addBot("alpha");
    const started = await f.supervisor.start("alpha", "test");
    expect(started.state).toBe("running");
    expect(started.pid).toBeGreaterThan(0);
    expect(started.version).toBe("0.0.0-stand-in");
    const health = await fetch(`http://127.0.0.1:${bot.port}/healthz`);
    expect(health.status).toBe(200);
    expect((await f.store.findBot("alpha"))?.desiredState).toBe("running");
    expect(await f.store.getInstance(bot.id)).toMatchObject({ state: "running", pid: started.pid });

    const stopped = await f.supervisor.stop("alpha", "test");
    expect(stopped).toMatchObject({ state: "stopped", pid: null });
    expect(isRunningProcess(started.pid!)).toBe(false);
    expect(liveGroupMembers(started.pid!)).toEqual([]);
    expect(f.transitions(bot)).toEqual([
      "stopped>starting",
      "starting>running",
      "running>stopping",
      "stopping>stopped",
    ]);
    const [running] = f.events.flatMap((e) =>
      e.type === "gateway.state" && e.data.to === "running" ? [e.data] : [],
    );
    expect(running?.bootMs).toEqual(expect.any(Number));
    expect(running?.pid).toBe(started.pid);
  });

  it("restarts a killed gateway at once, then backs off", async () => {
    const f = await open();
    const bot = await f.addBot("beta");
    const first = await f.supervisor.start("beta", "test");
    process.kill(first.pid!, "SIGKILL");
    const second = await f.waitFor("beta", (i) => i.state === "running" && i.pid !== first.pid);
    expect(second.restarts).toBe(1);
    expect(second.lastExit).toMatchObject({ signal: "SIGKILL", reason: "killed by SIGKILL" });
    const crashed = f.events.find((e) => e.type === "gateway.state" && e.data.to === "crashed");
    expect(crashed?.data).toMatchObject({ signal: "SIGKILL", pid: first.pid });

    process.kill(second.pid!, "SIGKILL");
    const backoff = await f.waitFor("beta", inState("backoff"));
    expect(backoff.reason).toMatch(/restarting in 1000ms \(failure 2 in a row\)/);
    const third = await f.waitFor("beta", (i) => i.state === "running" && i.pid !== second.pid);
    expect(third.restarts).toBe(2);
    expect(f.transitions(bot).slice(-3)).toEqual([
      "crashed>backoff",
      "backoff>starting",
      "starting>running",
    ]);
  });

  it("does not restart a gateway that exits 78, and keeps its last words", async () => {
    const f = await open();
    const bot = await f.addBot("gamma", {}, { exitCode: 78 });
    const result = await f.supervisor.start("gamma", "test");
    expect(result.state).toBe("crashed");
    const failed = await f.waitFor("gamma", inState("failed"));
    expect(failed.reason).toMatch(/exit 78: the gateway rejected its configuration/);
    expect(failed.lastExit?.code).toBe(78);
    expect(failed.lastExit?.logTail?.join("\n")).toContain("exiting with 78 as configured");
    await sleep(500);
    expect(f.transitions(bot)).toEqual(["stopped>starting", "starting>crashed", "crashed>failed"]);
  });

  it("stops a crash loop and escalates it", async () => {
    const f = await open({
      ...FAST_CHECKS,
      restart: { initialDelay: "10ms", maxDelay: "20ms", crashLoopFailures: 4 },
    });
    const bot = await f.addBot("delta", {}, { crashAfterMs: 50 });
    await f.supervisor.start("delta", "test");
    const failed = await f.waitFor("delta", inState("failed"));
    expect(failed.reason).toMatch(/crash loop: 4 failures within 10 min/);
    expect(failed.restarts).toBe(3);
    const loop = f.events.find((e) => e.type === "gateway.crash_loop");
    expect(loop).toMatchObject({ botId: bot.id, data: { failures: 4 } });
  });

  it("kills and restarts a hung gateway (SIGSTOP)", async () => {
    const f = await open();
    await f.addBot("epsilon");
    const first = await f.supervisor.start("epsilon", "test");
    process.kill(first.pid!, "SIGSTOP");
    const after = await f.waitFor("epsilon", (i) => i.state === "running" && i.pid !== first.pid);
    expect(after.lastExit?.reason).toMatch(/^hung: healthz failed 2 times in a row \(no answer/);
    expect(after.lastExit?.signal).toBe("SIGKILL");
    const hung = f.events.find((e) => e.type === "gateway.hung");
    expect(hung?.data).toMatchObject({ check: "healthz", failures: 2, pid: first.pid });
    expect(isRunningProcess(first.pid!)).toBe(false);
  });

  it("calls a stopped gateway hung by its own evidence, before the failure count", async () => {
    // Default-like healthz: the count (3 failures at 5 s) would take over 11 s from the stop.
    const f = await open({
      ...FAST_CHECKS,
      checks: {
        healthz: { period: "5s", timeout: "1600ms", failures: 3 },
        readyz: { enabled: false },
        wsHealth: { enabled: false },
      },
    });
    await f.addBot("eta");
    const first = await f.supervisor.start("eta", "test");
    const stoppedAt = Date.now();
    process.kill(first.pid!, "SIGSTOP");
    const after = await f.waitFor("eta", (i) => i.state === "running" && i.pid !== first.pid);
    // Two failures when the stop falls between probes; a third when it lands while a probe is
    // in flight (CPU used in that probe's window restarts the count of still time), which a
    // busy CI does. Either way the evidence's immediate re-check decides well before the
    // count alone could (over 11 s), and the reason says why.
    expect(after.lastExit?.reason).toMatch(
      /^hung: healthz failed [23] times in a row \(no answer .*; pid \d+ was stopped \(state T\) and used no CPU for \d+\.\ds\)$/,
    );
    const hung = f.events.find((e) => e.type === "gateway.hung");
    expect(hung?.data).toMatchObject({ check: "healthz", pid: first.pid });
    if (hung?.type === "gateway.hung") expect(hung.data.failures).toBeLessThanOrEqual(3);
    // One period and two or three timeouts after the stop (8.2-9.8 s here); the count alone
    // needs three probes 5 s apart, at least 11.6 s from the first that fails.
    expect(Date.parse(hung!.ts) - stoppedAt).toBeLessThan(11_000);
  }, 30_000);

  it("marks a gateway that is not ready as degraded, never restarting it for that", async () => {
    const f = await open();
    const bot = await f.addBot("zeta");
    const first = await f.supervisor.start("zeta", "test");
    writeFileSync(path.join(bot.stateDir, "not-ready"), "");
    const degraded = await f.waitFor("zeta", inState("degraded"));
    expect(degraded.reason).toBe("readyz: not ready: failing stand-in");
    expect(degraded.ready).toBe(false);
    rmSync(path.join(bot.stateDir, "not-ready"));
    const back = await f.waitFor("zeta", inState("running"));
    expect(back.pid).toBe(first.pid);
    expect(back.restarts).toBe(0);
  });

  it("is starting until ready, and degraded (never running) when readiness does not come", async () => {
    const f = await open({ ...FAST_CHECKS, readyTimeout: "1s" });
    const bot = await f.addBot("nu");
    writeFileSync(path.join(bot.stateDir, "not-ready"), "");
    const result = await f.supervisor.start("nu", "test");
    expect(result.state).toBe("degraded");
    expect(result.reason).toBe("not ready 1s after boot: readyz: not ready: failing stand-in");
    expect(f.transitions(bot)).toEqual(["stopped>starting", "starting>degraded"]);
    rmSync(path.join(bot.stateDir, "not-ready"));
    expect((await f.waitFor("nu", inState("running"))).reason).toBe("ready again");
  });

  it("warns about memory growing like a leak, without restarting", async () => {
    const f = await open({
      ...FAST_CHECKS,
      checks: {
        ...FAST_CHECKS.checks,
        rss: { period: "100ms", slopeWindow: "3s", minSamples: 8, maxGrowthPerHour: 1024 ** 3 },
      },
    });
    const bot = await f.addBot("leaky", {}, { leakBytesPerSecond: 20 * 1024 ** 2 });
    const started = await f.supervisor.start("leaky", "test");
    for (let i = 0; i < 100 && !f.events.some((e) => e.type === "gateway.warning"); i++)
      await sleep(50);
    const warning = f.events.find((e) => e.type === "gateway.warning");
    expect(warning).toMatchObject({ botId: bot.id, data: { check: "rss" } });
    expect(String(warning?.data.message)).toMatch(
      /^RSS \d+ MiB, growing \d+ MiB\/h over the last \d+ samples$/,
    );
    const now = await f.waitFor("leaky", inState("running"));
    expect(now).toMatchObject({ pid: started.pid, restarts: 0 });
    expect(now.rssBytes).toBeGreaterThan(20 * 1024 ** 2);
  });

  it("reports a foreign process on the port with its pid, and backs off instead of counting it healthy", async () => {
    const f = await open();
    const bot = await f.addBot("eta");
    const squatter = createServer((_, res) => res.end('{"ok":true,"status":"live"}'));
    await new Promise<void>((resolve) => squatter.listen(bot.port, "127.0.0.1", resolve));
    try {
      const result = await f.supervisor.start("eta", "test");
      expect(result.state).not.toBe("running");
      const conflict = f.events.find((e) => e.type === "gateway.port_conflict");
      expect(conflict?.data).toMatchObject({ port: bot.port, pid: process.pid });
      const backoff = await f.waitFor(
        "eta",
        (i) => i.state === "backoff" || i.recentFailures.length >= 2,
      );
      expect(backoff.lastExit?.reason).toContain(
        `port ${bot.port} is already held by pid ${process.pid}`,
      );
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    // Once the port is free, the next attempt succeeds.
    await f.waitFor("eta", inState("running"), 20_000);
  });

  it("fails a start at once when the port is taken while the gateway boots", async () => {
    const f = await open();
    // Like OpenClaw: a port in use is retried for 20 s before the gateway gives up.
    const bot = await f.addBot("kappa", {}, { bootMs: 1_500, bindRetryMs: 20_000 });
    const squatter = createServer((_, res) => res.end("not a gateway"));
    try {
      const starting = f.supervisor.start("kappa", "test");
      // Spawned, not yet listening: now someone else takes the port.
      await f.waitFor("kappa", (i) => i.pid !== null);
      const started = performance.now();
      await new Promise<void>((resolve) => squatter.listen(bot.port, "127.0.0.1", resolve));
      const result = await starting;
      expect(performance.now() - started).toBeLessThan(8_000);
      expect(result.state).not.toBe("running");
      const failed = await f.waitFor("kappa", (i) => i.lastExit !== null);
      expect(failed.lastExit?.reason).toBe(
        `port ${bot.port} is held by pid ${process.pid} (${readCmdline(process.pid)}): the gateway cannot bind it`,
      );
      const conflicts = f.events.filter((e) => e.type === "gateway.port_conflict");
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0]?.data).toMatchObject({ port: bot.port, pid: process.pid });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it("fails plainly on a missing openclaw and on a state dir that cannot be written", async () => {
    const f = await open();
    await f.addBot("theta", { openclawBin: path.join(f.dir, "no-such-openclaw") });
    const missing = await f.supervisor.start("theta", "test");
    expect(missing.state).toBe("failed");
    expect(missing.reason).toMatch(
      /cannot start: openclaw CLI not found \(tried openclaw.bin .*no-such-openclaw\)/,
    );

    const file = path.join(f.dir, "a-file");
    writeFileSync(file, "");
    const bot = await f.addBot("iota");
    await f.store.updateBot(bot.id, { stateDir: path.join(file, "state") });
    const unwritable = await f.supervisor.start("iota", "test");
    expect(unwritable.state).toBe("failed");
    expect(unwritable.reason).toMatch(/the state dir .*a-file\/state is not writable \(ENOTDIR\)/);
  });

  it("refuses two bots on one state dir", async () => {
    const f = await open();
    const first = await f.addBot("kappa");
    await expect(f.addBot("lambda", { stateDir: first.stateDir })).rejects.toThrow(
      /state dir .*kappa is already used by bot "kappa"/,
    );
  });

  it("lets go of a gateway still starting when clawops exits with onExit keep", async () => {
    const f = await open({ ...FAST_CHECKS, onExit: "keep" });
    await f.addBot("slow", {}, { bootMs: 3_000 });
    void f.supervisor.start("slow", "test").catch(() => undefined);
    const starting = await f.waitFor("slow", (i) => i.state === "starting" && i.pid !== null);
    const began = performance.now();
    await f.supervisor.shutdown();
    expect(performance.now() - began).toBeLessThan(1_000);
    expect(isRunningProcess(starting.pid!)).toBe(true);
    process.kill(-starting.pid!, "SIGKILL");
  });

  it("finishes a stop that a killed clawops left half done, instead of restarting it", async () => {
    const f = await open({ ...FAST_CHECKS, onExit: "keep" });
    const bot = await f.addBot("halfway");
    const first = await f.supervisor.start("halfway", "test");
    await f.supervisor.shutdown();
    await f.store.updateBot(bot.id, { desiredState: "stopped" });
    await f.reopen().resumeAll();
    const after = await f.waitFor("halfway", inState("stopped"));
    expect(after.restarts).toBe(0);
    expect(isRunningProcess(first.pid!)).toBe(false);
  });

  it("forgets earlier failures when an operator starts a failed bot again", async () => {
    const f = await open({
      ...FAST_CHECKS,
      restart: { initialDelay: "10ms", maxDelay: "20ms", crashLoopFailures: 3 },
    });
    const bot = await f.addBot("phoenix", {}, { crashAfterMs: 50 });
    await f.supervisor.start("phoenix", "test");
    await f.waitFor("phoenix", inState("failed"));
    writeFileSync(bot.configPath, JSON.stringify({ standIn: {} }));
    const again = await f.supervisor.start("phoenix", "test");
    expect(again.state).toBe("running");
    expect(again.recentFailures).toEqual([]);
  });

  it("does not hand out a port that another process listens on", async () => {
    const f = await open();
    const held = createServer();
    await new Promise<void>((resolve) => held.listen(0, "127.0.0.1", resolve));
    const base = (held.address() as { port: number }).port;
    try {
      const bot = await registerBot(
        { store: f.store, bus: f.bus, dataDir: f.dir, portBase: base, portSpacing: 20 },
        { name: "auto" },
        "test",
        { allowMissingConfig: true },
      );
      expect(bot.port).toBe(base + 20);
    } finally {
      await new Promise((resolve) => held.close(resolve));
    }
  });

  it("re-adopts the gateways a previous clawops left running: same pid, no duplicate", async () => {
    const f = await open({ ...FAST_CHECKS, onExit: "keep" });
    const bot = await f.addBot("mu");
    const first = await f.supervisor.start("mu", "test");
    await f.supervisor.shutdown();
    expect(isRunningProcess(first.pid!)).toBe(true);
    await sleep(1_500);

    const again = f.reopen();
    await again.resumeAll();
    const adopted = await f.waitFor("mu", inState("running"));
    expect(adopted.pid).toBe(first.pid);
    expect(adopted.reason).toMatch(/^ready after \d+ms, live after \d+ms$/);
    // Its uptime is the process's, not since the new clawops saw it (/proc has 10 ms ticks).
    expect(Math.abs(Date.parse(adopted.startedAt!) - Date.parse(first.startedAt!))).toBeLessThan(
      1_000,
    );
    expect(f.transitions(bot)).toContain("running>starting");
    // Watched by polling now: a kill is still seen, and answered with a restart.
    process.kill(first.pid!, "SIGKILL");
    const restarted = await f.waitFor("mu", (i) => i.state === "running" && i.pid !== first.pid);
    expect(restarted.lastExit?.reason).toMatch(/exit status unknown/);
  });

  it("adopts a gateway found on its port, and can stop it", async () => {
    const f = await open();
    const bot = await f.addBot("nu", { driver: "adopted" });
    const external = spawn(
      process.execPath,
      [
        path.join(import.meta.dirname, "fixtures/stand-in-gateway.mjs"),
        "gateway",
        "run",
        "--port",
        String(bot.port),
      ],
      {
        env: {
          ...process.env,
          OPENCLAW_STATE_DIR: bot.stateDir,
          OPENCLAW_CONFIG_PATH: bot.configPath,
        },
        stdio: "ignore",
        detached: true,
      },
    );
    try {
      for (
        let i = 0;
        i < 100 &&
        !(await fetch(`http://127.0.0.1:${bot.port}/healthz`).then(
          () => true,
          () => false,
        ));
        i++
      )
        await sleep(50);
      const adopted = await f.supervisor.start("nu", "test");
      expect(adopted).toMatchObject({ state: "running", pid: external.pid });
      const stopped = await f.supervisor.stop("nu", "test");
      expect(stopped.state).toBe("stopped");
      expect(isRunningProcess(external.pid!)).toBe(false);
    } finally {
      external.kill("SIGKILL");
    }
    expect(existsSync(bot.stateDir)).toBe(true);
  });
});
