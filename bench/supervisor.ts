/**
 * Supervisor benchmarks (issue 4). Each mode prints its figures and the target.
 *
 *   npm run bench:supervisor                 exit + scale + real + hang
 *   npm run bench:supervisor -- exit         kill -9 to persisted `crashed`, exit to next spawn (stand-in, 200×)
 *   npm run bench:supervisor -- scale        100 stand-ins at 5 s probes: CPU, RSS, event-loop delay
 *   npm run bench:supervisor -- real         real gateway: exit detection, tier-1 recovery vs cold boot
 *   npm run bench:supervisor -- hang         real gateway, SIGSTOP under 5 s / 2 s / 3 failures (random and worst phase)
 *   npm run bench:supervisor -- soak         real gateway, both cores saturated, SOAK_MINUTES (10): false restarts
 *
 * TRIALS (200) sets the stand-in trials; REAL_TRIALS (3) the real-gateway ones; GATEWAYS (100) the scale.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import path from "node:path";
import pino from "pino";
import { configSchema } from "../src/config/schema.js";
import type { BusEvent } from "../src/core/events.js";
import type { GatewayInstance } from "../src/core/gateway-state.js";
import { sleep } from "../src/core/time.js";
import type { GatewayDriver, GatewayProcess } from "../src/drivers/driver.js";
import { createDrivers } from "../src/drivers/index.js";
import { EventBus } from "../src/events/bus.js";
import { registerBot } from "../src/fleet/registry.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import { Supervisor } from "../src/supervisor/supervisor.js";
import { findTcpListener } from "../src/system/proc.js";
import { startFakeLlm } from "../test/harness/fake-llm.js";
import {
  GATEWAY_RUNTIME,
  acquireGatewaySlot,
  gatewayRuntimeAvailable,
  minimalGatewayConfig,
} from "../test/harness/gateway.js";
import { freePort, tempDir } from "../test/helpers/cli.js";
import { STAND_IN } from "../test/helpers/fleet.js";
import { readLocalCredential } from "../src/access/local-credential.js";
import { readRssBytes } from "../src/checks/rss.js";
import { formatRows, machine, round, summarize } from "./stats.js";

const require = createRequire(import.meta.url);

const TRIALS = Number(process.env.TRIALS ?? 200);
const REAL_TRIALS = Number(process.env.REAL_TRIALS ?? 3);
const GATEWAYS = Number(process.env.GATEWAYS ?? 100);
const SOAK_MINUTES = Number(process.env.SOAK_MINUTES ?? 10);

/** Spawn and exit times of every process the drivers start, as the supervisor sees them. */
interface Timeline {
  spawnedAt: Map<number, number>;
  exitedAt: Map<number, number>;
}

function timedDrivers(timeline: Timeline) {
  const drivers = createDrivers();
  const wrap = (driver: GatewayDriver): GatewayDriver => ({
    ...driver,
    async start(context) {
      const process = await driver.start(context);
      timeline.spawnedAt.set(process.pid, performance.now());
      const exited = process.exited.then((exit) => {
        timeline.exitedAt.set(process.pid, performance.now());
        return exit;
      });
      return { ...process, exited } satisfies GatewayProcess;
    },
  });
  return { process: wrap(drivers.process), adopted: wrap(drivers.adopted) };
}

async function openFleet(supervisor: Record<string, unknown>, openclaw: Record<string, unknown>) {
  const temp = tempDir("clawops-bench-");
  const store = openSqliteStore(path.join(temp.dir, "clawops.db"));
  await store.migrate();
  const log = pino({ level: process.env.BENCH_LOG ?? "silent" });
  const bus = new EventBus((batch) => store.appendEvents(batch), log);
  const events: { at: number; event: BusEvent }[] = [];
  bus.subscribe((event) => events.push({ at: performance.now(), event }));
  const config = configSchema.parse({ dataDir: temp.dir, openclaw, supervisor });
  const timeline: Timeline = { spawnedAt: new Map(), exitedAt: new Map() };
  const sup = new Supervisor({ config, store, bus, log, drivers: timedDrivers(timeline) });
  const deps = { store, bus, dataDir: temp.dir, portBase: 18789, portSpacing: 20 };
  return {
    dir: temp.dir,
    store,
    supervisor: sup,
    events,
    timeline,
    async addBot(name: string, configText: (port: number, dir: string) => string) {
      const stateDir = path.join(temp.dir, "bots", name);
      mkdirSync(stateDir, { recursive: true });
      const port = await freePort();
      writeFileSync(path.join(stateDir, "openclaw.json"), configText(port, stateDir));
      return registerBot(deps, { name, port, stateDir }, "bench");
    },
    async until(botId: string, predicate: (g: GatewayInstance) => boolean, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const g = (await sup.instances()).find((i) => i.botId === botId);
        if (g && predicate(g)) return g;
        await sleep(5);
      }
      throw new Error(`timed out waiting on ${botId}`);
    },
    async close() {
      await sup.shutdown();
      await bus.flush(5_000);
      bus.close();
      await store.close();
      temp.remove();
    },
  };
}

/** When the persisted `gateway.state` event with `to` arrived for a pid, after `since`. */
/** Whether the event is a gateway reaching state `to`. */
function reached(event: BusEvent, to: string): boolean {
  return event.type === "gateway.state" && event.data.to === to;
}

function eventAt(
  events: { at: number; event: BusEvent }[],
  predicate: (e: BusEvent) => boolean,
  since: number,
): number | undefined {
  return events.find((e) => e.at >= since && predicate(e.event))?.at;
}

async function waitFor<T>(get: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(1);
  }
}

/** Restart on every failure at once (no backoff, no crash loop): each trial measures the same path. */
const EVERY_FAILURE_FIRST = {
  restart: { resetAfter: 1, crashLoopWindow: 1, crashLoopFailures: 1000 },
};

async function benchExit() {
  const fleet = await openFleet(
    { ...EVERY_FAILURE_FIRST, checks: { wsHealth: { enabled: false } } },
    { bin: STAND_IN },
  );
  try {
    const bot = await fleet.addBot("exit", () => "{}");
    let current = await fleet.supervisor.start("exit", "bench");
    const detect: number[] = [];
    const overhead: number[] = [];
    for (let i = 0; i < TRIALS + 10; i += 1) {
      const pid = current.pid!;
      const killedAt = performance.now();
      process.kill(pid, "SIGKILL");
      const crashedAt = await waitFor(() =>
        eventAt(fleet.events, (e) => reached(e, "crashed") && e.botId === bot.id, killedAt),
      );
      current = await fleet.until(bot.id, (g) => g.state === "running" && g.pid !== pid);
      const exitedAt = fleet.timeline.exitedAt.get(pid)!;
      const spawnedAt = fleet.timeline.spawnedAt.get(current.pid!)!;
      if (i < 10) continue; // warm-up
      detect.push(crashedAt - killedAt);
      overhead.push(spawnedAt - exitedAt);
    }
    const rows = [
      [`kill -9 → persisted crashed event (stand-in), ${TRIALS}×`, summarize(detect)],
      [`exit seen → next gateway spawned (stand-in), ${TRIALS}×`, summarize(overhead)],
    ] as const;
    console.log(`\n${formatRows(rows)}\n`);
    console.log(
      "target: exit detection p99 <= 50 ms; restart overhead (exit to next spawn) p99 <= 100 ms",
    );
  } finally {
    await fleet.close();
  }
}

/**
 * The product as shipped: a built `clawops up` daemon supervising GATEWAYS
 * stand-ins declared in its clawops.yaml. CPU and RSS are read from /proc for
 * the daemon's pid; the event-loop delay from its own /metrics (prom-client's
 * histogram, reset at each scrape, so the second scrape covers the window).
 */
async function benchScale() {
  execFileSync(process.execPath, [
    require.resolve("typescript/bin/tsc"),
    "-p",
    "tsconfig.build.json",
  ]);
  const temp = tempDir("clawops-scale-");
  const port = await freePort();
  // Below the ephemeral range, where probe connections take their local ports.
  const ports = await freePortsFrom(21_000, 20, GATEWAYS);
  const bots = [];
  for (let i = 0; i < GATEWAYS; i += 1) {
    const stateDir = path.join(temp.dir, "bots", `s${i}`);
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(path.join(stateDir, "openclaw.json"), "{}");
    bots.push({ name: `s${i}`, port: ports[i], stateDir, desiredState: "running" });
  }
  writeFileSync(
    path.join(temp.dir, "clawops.yaml"),
    JSON.stringify({
      dataDir: path.join(temp.dir, "data"),
      http: { port },
      log: { level: "warn" },
      openclaw: { bin: STAND_IN },
      // Stand-ins speak HTTP only: the WebSocket check (every 30 s) is off here.
      supervisor: { checks: { wsHealth: { enabled: false } } },
      ...(process.env.SCALE_NO_INGEST ? { ingest: { enabled: false } } : {}),
      fleet: { bots },
    }),
  );
  const daemon = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_DAEMON_NODE_ARGS?.split(" ") ?? []),
      path.resolve("bin/clawops.js"),
      "up",
      "--json",
    ],
    {
      cwd: temp.dir,
      stdio: ["ignore", openSync(path.join(temp.dir, "up.log"), "a"), "inherit"],
    },
  );
  const base = `http://127.0.0.1:${port}`;
  // The daemon writes its local owner credential at start: the status route needs it.
  const api = (route: string) => {
    const token = readLocalCredential(path.join(temp.dir, "data"));
    return fetch(`${base}${route}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  };
  try {
    const started = performance.now();
    let running = 0;
    while (running < GATEWAYS) {
      await sleep(500);
      const status = await api("/api/v1/status").then(
        (r) => r.json() as Promise<{ gateways?: GatewayInstance[] }>,
        () => ({ gateways: [] }),
      );
      // Before the daemon listens (or has written its credential) there is no list yet.
      running = (status.gateways ?? []).filter((g) => g.state === "running").length;
      if (daemon.exitCode !== null) {
        throw new Error(
          `clawops up exited ${daemon.exitCode}: ${readFileSync(path.join(temp.dir, "up.log"), "utf8").slice(-2000)}`,
        );
      }
      if (performance.now() - started > 300_000)
        throw new Error(`only ${running} running after 300 s`);
    }
    console.log(
      `${running}/${GATEWAYS} stand-ins running ${Math.round(performance.now() - started)}ms after clawops up`,
    );
    await sleep(10_000);
    const windowMs = Number(process.env.SCALE_WINDOW_MS ?? 60_000);
    await api("/metrics").then((r) => r.text()); // resets the loop-delay histogram
    const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
    const cpu0 = cpuTicks(daemon.pid!);
    const t0 = performance.now();
    const rssSamples: number[] = [];
    while (performance.now() - t0 < windowMs) {
      rssSamples.push(readRssBytes(daemon.pid!) ?? 0);
      await sleep(1_000);
    }
    const peakRss = Math.max(...rssSamples);
    if (process.env.SCALE_RSS_TRACE)
      console.log(
        `rss by second (MiB): ${rssSamples.map((b) => Math.round(b / 2 ** 20)).join(" ")}`,
      );
    const medianRss = [...rssSamples].sort((a, b) => a - b)[rssSamples.length >> 1]!;
    const cpuSeconds = (cpuTicks(daemon.pid!) - cpu0) / ticksPerSecond;
    const wall = (performance.now() - t0) / 1000;
    const metrics = await api("/metrics").then((r) => r.text());
    const lag = (name: string) =>
      Number(
        new RegExp(`^clawops_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, "m").exec(metrics)?.[1],
      ) * 1000;
    const status = (await api("/api/v1/status").then((r) => r.json())) as {
      gateways: GatewayInstance[];
    };
    const restarts = status.gateways.reduce((n, g) => n + g.restarts, 0);
    console.log(
      `\nclawops up supervising ${GATEWAYS} stand-ins (healthz and readyz every 5 s, rss every 30 s), ${Math.round(wall)} s window:`,
    );
    console.log(
      `  clawops CPU          ${round((cpuSeconds / wall) * 100)}% of one core   (target <= 5%)`,
    );
    console.log(
      `  clawops RSS (peak)   ${Math.round(peakRss / 2 ** 20)} MiB, median ${Math.round(medianRss / 2 ** 20)} MiB   (target <= 150 MB)`,
    );
    console.log(
      `  event loop delay     p50 ${round(lag("p50"))} ms, p99 ${round(lag("p99"))} ms, max ${round(lag("max"))} ms   (target p99 <= 20 ms)`,
    );
    console.log(`  restarts meanwhile   ${restarts}`);
    const mib = (name: string) =>
      Math.round(Number(new RegExp(`^clawops_${name} (\\S+)$`, "m").exec(metrics)?.[1]) / 2 ** 20);
    console.log(
      `  memory at the end    heap ${mib("nodejs_heap_size_used_bytes")} of ${mib("nodejs_heap_size_total_bytes")} MiB, external ${mib("nodejs_external_memory_bytes")} MiB, rss ${mib("process_resident_memory_bytes")} MiB`,
    );
  } finally {
    daemon.kill("SIGTERM");
    await new Promise((resolve) => daemon.once("exit", resolve));
    temp.remove();
  }
}

/** `count` ports from `base` in steps of `step` that nothing listens on now. */
async function freePortsFrom(base: number, step: number, count: number): Promise<number[]> {
  const free: number[] = [];
  for (let port = base; free.length < count && port < 32_000; port += step) {
    const ok = await new Promise<boolean>((resolve) => {
      const server = createServer()
        .once("error", () => resolve(false))
        .listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (ok) free.push(port);
  }
  if (free.length < count) throw new Error(`only ${free.length} free ports from ${base}`);
  return free;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

async function realFleet(supervisor: Record<string, unknown>) {
  const llm = await startFakeLlm();
  const releases = [await acquireGatewaySlot()];
  const fleet = await openFleet(
    {
      ...supervisor,
      env: {
        HOME: "{stateDir}/home",
        TMPDIR: "{stateDir}/tmp",
        OPENCLAW_SKIP_CHANNELS: "1",
        PATH: `${path.dirname(GATEWAY_RUNTIME.node)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      },
    },
    { bin: GATEWAY_RUNTIME.openclaw, node: GATEWAY_RUNTIME.node },
  );
  const bot = await fleet.addBot("real", (port, dir) => {
    for (const sub of ["home", "tmp"]) mkdirSync(path.join(dir, sub), { recursive: true });
    return JSON.stringify(
      minimalGatewayConfig({ dir, port, token: "b".repeat(48), llmBaseUrl: llm.baseUrl }),
    );
  });
  return {
    fleet,
    bot,
    close: async () => {
      await fleet.close();
      await llm.close();
      for (const release of releases) release();
    },
  };
}

/** Polls /healthz until 200 comes from a process other than `oldPid`; returns when. */
async function healthyFromNewProcess(port: number, oldPid: number): Promise<number> {
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(500),
    }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) {
      const at = performance.now();
      const owner = findTcpListener(port)?.pid;
      if (owner && owner !== oldPid) return at;
    }
    await sleep(10);
  }
}

async function benchReal() {
  if (!gatewayRuntimeAvailable()) process.exit(2);
  const { fleet, bot, close } = await realFleet(EVERY_FAILURE_FIRST);
  try {
    const cold: number[] = [];
    const recovery: number[] = [];
    const detect: number[] = [];
    const afterExit: number[] = [];
    const overhead: number[] = [];
    for (let i = 0; i < REAL_TRIALS; i += 1) {
      const first = await fleet.supervisor.start("real", "bench");
      const spawned = fleet.timeline.spawnedAt.get(first.pid!)!;
      cold.push((await healthyFromNewProcess(bot.port, -1)) - spawned);
      const killedAt = performance.now();
      process.kill(first.pid!, "SIGKILL");
      const healthyAt = await healthyFromNewProcess(bot.port, first.pid!);
      recovery.push(healthyAt - killedAt);
      const crashedAt = await waitFor(() =>
        eventAt(fleet.events, (e) => reached(e, "crashed"), killedAt),
      );
      detect.push(crashedAt - killedAt);
      afterExit.push(crashedAt - fleet.timeline.exitedAt.get(first.pid!)!);
      const next = await fleet.until(bot.id, (g) => g.state === "running" && g.pid !== first.pid);
      overhead.push(
        fleet.timeline.spawnedAt.get(next.pid!)! - fleet.timeline.exitedAt.get(first.pid!)!,
      );
      await fleet.supervisor.stop("real", "bench");
    }
    const rows = [
      [`cold boot: spawn → /healthz 200, ${REAL_TRIALS}×`, summarize(cold)],
      [
        `tier-1 recovery: kill -9 → /healthz 200 of the new process, ${REAL_TRIALS}×`,
        summarize(recovery),
      ],
      [`kill -9 → persisted crashed event, ${REAL_TRIALS}×`, summarize(detect)],
      [`  of which exit event → persisted crashed event`, summarize(afterExit)],
      [`exit seen → next gateway spawned, ${REAL_TRIALS}×`, summarize(overhead)],
    ] as const;
    console.log(`\nreal OpenClaw ${GATEWAY_RUNTIME.version} gateway\n${formatRows(rows)}\n`);
    const ratio = summarize(recovery).p50 / summarize(cold).p50;
    console.log(`recovery / cold boot (medians): ${ratio.toFixed(3)}   (target <= 1.2)`);
  } finally {
    await close();
  }
}

/**
 * SIGSTOP a real gateway, alternately at a random point of the probe cycle and at its worst
 * point (just after a `/healthz` check answered: the next one is a whole period away); time
 * to the `gateway.hung` decision and to the persisted `crashed` (after the kernel has torn the
 * process down). The checks run on a 5 s grid from the moment the gateway went live, and it
 * turns `running` at one of them (when `/readyz` first passes), so that event dates the grid.
 */
async function benchHang() {
  if (!gatewayRuntimeAvailable()) process.exit(2);
  const { fleet, bot, close } = await realFleet(EVERY_FAILURE_FIRST);
  try {
    const random: number[] = [];
    const worst: number[] = [];
    const crashed: number[] = [];
    const failures: number[] = [];
    let current = await fleet.supervisor.start("real", "bench");
    for (let i = 0; i < REAL_TRIALS; i += 1) {
      const pid = current.pid!;
      const worstPhase = i % 2 === 1;
      if (worstPhase) {
        const runningAt = eventAt(
          fleet.events,
          (e) => e.type === "gateway.state" && e.data.to === "running" && e.data.pid === pid,
          0,
        )!;
        // 50 ms after a grid point: the healthz probe (a few ms on an idle gateway) has answered.
        const sinceGrid = (performance.now() - runningAt) % 5_000;
        await sleep((5_050 - sinceGrid) % 5_000);
      } else {
        await sleep(Math.random() * 5_000);
      }
      const stoppedAt = performance.now();
      process.kill(pid, "SIGSTOP");
      const hungAt = await waitFor(
        () => eventAt(fleet.events, (e) => e.type === "gateway.hung", stoppedAt),
        60_000,
      );
      const crashedAt = await waitFor(
        () => eventAt(fleet.events, (e) => reached(e, "crashed"), stoppedAt),
        60_000,
      );
      const hung = fleet.events.find((e) => e.at === hungAt)!.event;
      if (hung.type === "gateway.hung") failures.push(hung.data.failures);
      (worstPhase ? worst : random).push(hungAt - stoppedAt);
      crashed.push(crashedAt - stoppedAt);
      current = await fleet.until(bot.id, (g) => g.state === "running" && g.pid !== pid);
    }
    const rows = [
      [`SIGSTOP → gateway.hung decision, random phase, ${random.length}×`, summarize(random)],
      [`SIGSTOP → gateway.hung decision, worst phase, ${worst.length}×`, summarize(worst)],
      [`SIGSTOP → persisted crashed (after the kill is reaped), all`, summarize(crashed)],
    ] as const;
    console.log(`\n${formatRows(rows)}\n`);
    console.log(`failed checks at the decision: ${failures.join(", ")}`);
    console.log(
      "target: hang detection <= 10 s with healthz 5s/2s/3 (worst case by construction: 5 s + 2 × 2 s = 9 s, by the process's own evidence)",
    );
  } finally {
    await close();
  }
}

async function benchSoak() {
  if (!gatewayRuntimeAvailable()) process.exit(2);
  const { fleet, bot, close } = await realFleet({});
  const burners: ChildProcess[] = [];
  try {
    const first = await fleet.supervisor.start("real", "bench");
    for (let i = 0; i < 2; i += 1)
      burners.push(spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
    const until = Date.now() + SOAK_MINUTES * 60_000;
    while (Date.now() < until) await sleep(5_000);
    const g = (await fleet.supervisor.instances()).find((i) => i.botId === bot.id)!;
    const crashes = fleet.events.filter((e) => reached(e.event, "crashed")).length;
    const degraded = fleet.events.filter((e) => reached(e.event, "degraded")).length;
    console.log(
      `\n${SOAK_MINUTES} min, both cores saturated by 2 busy loops, default checks (healthz 5s/2s/3):`,
    );
    console.log(
      `  restarts ${g.restarts}, crashed transitions ${crashes}, degraded transitions ${degraded}, same pid: ${g.pid === first.pid}`,
    );
    console.log("target: 0 false restarts");
  } finally {
    for (const burner of burners) burner.kill("SIGKILL");
    await close();
  }
}

const MODES: Record<string, () => Promise<void>> = {
  exit: benchExit,
  scale: benchScale,
  real: benchReal,
  hang: benchHang,
  soak: benchSoak,
};

async function main() {
  const asked = process.argv.slice(2);
  const modes = asked.length > 0 ? asked : ["exit", "scale", "real", "hang"];
  for (const mode of modes) {
    const run = MODES[mode];
    if (!run) throw new Error(`unknown mode ${mode}; one of ${Object.keys(MODES).join(", ")}`);
    console.log(`\n== ${mode} ==`);
    await run();
  }
  console.log(`\nmachine: ${await machine()}`);
  console.log(`date: ${new Date().toISOString()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
