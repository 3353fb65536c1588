/**
 * Repair benchmark (issue 5): RUNS injections per fault class into one real
 * gateway under `clawops up`, each repaired without a human (or not). Prints,
 * per class, how many recovered, by which tier, and detection-to-recovered
 * times (p50, p95) next to the targets and the gateway's cold boot measured
 * in the same run.
 *
 *   npm run bench:repair                     every class, RUNS (20) each
 *   npm run bench:repair -- kill config      some classes
 *
 * Classes: kill (kill -9), hang (SIGSTOP), config (broken config, known-good kept),
 * lock (a lock naming a reused pid), listener (a stale gateway of the same state dir
 * holding the port), legacy (a legacy auth-profiles.json).
 * Needs `npm run build` and `bash scripts/install-gateway-runtime.sh`.
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import type { GatewayInstance } from "../src/core/gateway-state.js";
import type { OpsEvent } from "../src/core/events.js";
import type { RepairRecord } from "../src/core/repair.js";
import { sleep } from "../src/core/time.js";
import { startFakeLlm } from "../test/harness/fake-llm.js";
import {
  type BotFiles,
  breakConfig,
  startStaleGateway,
  writeLegacyAuth,
  writeReusedPidLock,
} from "../test/harness/faults.js";
import {
  acquireGatewaySlot,
  gatewayRuntimeAvailable,
  minimalGatewayConfig,
  supervisedClawopsConfig,
} from "../test/harness/gateway.js";
import { freePort, startUp, tempDir } from "../test/helpers/cli.js";
import { machine, percentile, round } from "./stats.js";

const RUNS = Number(process.env.RUNS ?? 20);
const TARGET_MS: Record<number, number> = { 1: 10_000, 2: 30_000 };

interface FaultClass {
  name: string;
  /** Process faults must recover every time; the rest 95 % overall. */
  process: boolean;
  /** Injects the fault; returns what to clean up afterwards. */
  inject(api: Api, bot: BotFiles): Promise<ChildProcess | null>;
}

interface Api {
  get<T>(route: string): Promise<T>;
  post(route: string): Promise<void>;
  gateway(): Promise<GatewayInstance>;
}

const CLASSES: FaultClass[] = [
  {
    name: "kill",
    process: true,
    async inject(api) {
      process.kill((await api.gateway()).pid!, "SIGKILL");
      return null;
    },
  },
  {
    name: "hang",
    process: true,
    async inject(api) {
      process.kill((await api.gateway()).pid!, "SIGSTOP");
      return null;
    },
  },
  {
    name: "config",
    process: false,
    async inject(api, bot) {
      // A planned restart would refuse the broken config and keep the gateway: the fault
      // is the crash that meets it.
      breakConfig(bot);
      process.kill((await api.gateway()).pid!, "SIGKILL");
      return null;
    },
  },
  {
    name: "lock",
    process: false,
    async inject(api, bot) {
      await api.post("/api/v1/bots/alpha/stop");
      const other = writeReusedPidLock(bot);
      await api.post("/api/v1/bots/alpha/start");
      return other;
    },
  },
  {
    name: "listener",
    process: false,
    async inject(api, bot) {
      await api.post("/api/v1/bots/alpha/stop");
      const stale = await startStaleGateway(bot);
      await api.post("/api/v1/bots/alpha/start");
      return stale;
    },
  },
  {
    name: "legacy",
    process: false,
    async inject(api, bot) {
      writeLegacyAuth(bot);
      process.kill((await api.gateway()).pid!, "SIGKILL");
      return null;
    },
  },
];

async function main() {
  if (!gatewayRuntimeAvailable()) throw new Error("run scripts/install-gateway-runtime.sh first");
  const wanted = process.argv.slice(2);
  const classes = wanted.length ? CLASSES.filter((c) => wanted.includes(c.name)) : CLASSES;
  const release = await acquireGatewaySlot();
  const scratch = tempDir("clawops-bench-repair-");
  const dir = scratch.dir;
  const llm = await startFakeLlm();
  const bot: BotFiles = {
    botDir: path.join(dir, "alpha"),
    stateDir: path.join(dir, "alpha", "state"),
    configPath: path.join(dir, "alpha", "openclaw.json"),
  };
  mkdirSync(bot.stateDir, { recursive: true });
  const port = await freePort();
  const httpPort = await freePort();
  const config = minimalGatewayConfig({
    dir: bot.botDir,
    port,
    token: "t".repeat(48),
    llmBaseUrl: llm.baseUrl,
  });
  writeFileSync(bot.configPath, JSON.stringify(config, null, 2));
  writeFileSync(
    path.join(dir, "clawops.yaml"),
    stringify(
      supervisedClawopsConfig(dir, httpPort, {
        // Hundreds of injections in an hour: the budget is not what is measured here.
        repair: { budget: { maxPerHour: 1000 } },
        // The bot is registered over the API with files in this folder.
        http: { port: httpPort, allowedRoots: [dir] },
      }),
    ),
  );
  const daemon = await startUp({ cwd: dir, port: httpPort });
  const api: Api = {
    async get<T>(route: string) {
      return (await (await daemon.fetch(route)).json()) as T;
    },
    async post(route) {
      await daemon.fetch(route, {
        method: "POST",
        headers: { "x-clawops-client": "bench" },
        signal: AbortSignal.timeout(300_000),
      });
    },
    async gateway() {
      const status = await api.get<{ gateways: GatewayInstance[] }>("/api/v1/status");
      return status.gateways[0]!;
    },
  };
  const waitRunning = async () => {
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      const g = await api.gateway().catch(() => null);
      if (g?.state === "running") return g;
      await sleep(250);
    }
    throw new Error("the gateway did not come back running within 240 s");
  };
  const post = async (body: object) =>
    daemon.fetch("/api/v1/bots", {
      method: "POST",
      headers: { "content-type": "application/json", "x-clawops-client": "bench" },
      body: JSON.stringify(body),
    });
  await post({ name: "alpha", port, configPath: bot.configPath, stateDir: bot.stateDir });
  await api.post("/api/v1/bots/alpha/start");
  await waitRunning();

  const results: { fault: FaultClass; records: (RepairRecord | null)[] }[] = [];
  try {
    for (const fault of classes) {
      const records: (RepairRecord | null)[] = [];
      for (let run = 0; run < RUNS; run++) {
        await waitRunning();
        const since = new Date().toISOString();
        const stray = await fault.inject(api, bot);
        const record = await waitForRepair(api, since);
        records.push(record);
        stray?.kill("SIGKILL");
        const line = record
          ? `${record.outcome} tier ${record.tier} in ${Date.parse(record.recoveredAt ?? record.endedAt!) - Date.parse(record.detectedAt)} ms`
          : "no repair within 240 s";
        console.error(`${fault.name} ${run + 1}/${RUNS}: ${line}`);
      }
      results.push({ fault, records });
    }
    const { events } = await api.get<{ events: OpsEvent[] }>(
      "/api/v1/events?type=gateway.state&limit=1000",
    );
    const boots = events
      .map((e) => e.data.bootMs)
      .filter((ms): ms is number => typeof ms === "number")
      .sort((a, b) => a - b);
    await report(results, boots);
  } finally {
    await daemon.stop("SIGTERM");
    await llm.close();
    release();
    scratch.remove();
  }
}

/** The first finished repair that started after `since` (null when none within 240 s). */
async function waitForRepair(api: Api, since: string): Promise<RepairRecord | null> {
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    const { repairs } = await api.get<{ repairs: RepairRecord[] }>("/api/v1/repairs?limit=5");
    const found = repairs.find((r) => r.startedAt >= since && r.outcome !== "running");
    if (found) return found;
    await sleep(250);
  }
  return null;
}

async function report(
  results: { fault: FaultClass; records: (RepairRecord | null)[] }[],
  boots: number[],
) {
  const header = [
    "fault",
    "n",
    "recovered",
    "tiers",
    "p50 ms",
    "p95 ms",
    "max ms",
    "p50 - boot p50",
    "target",
  ];
  const bootP50 = boots.length ? percentile(boots, 50) : 0;
  const rows = results.map(({ fault, records }) => {
    const recovered = records.filter((r) => r?.outcome === "recovered") as RepairRecord[];
    const times = recovered
      .map((r) => Date.parse(r.recoveredAt!) - Date.parse(r.detectedAt))
      .sort((a, b) => a - b);
    const tiers = [...new Set(recovered.map((r) => r.tier))].sort().join(",");
    const tier = Math.max(...recovered.map((r) => r.tier), 0);
    return [
      fault.name,
      String(records.length),
      `${recovered.length} (${Math.round((recovered.length / records.length) * 100)}%)`,
      tiers || "-",
      times.length ? String(round(percentile(times, 50))) : "-",
      times.length ? String(round(percentile(times, 95))) : "-",
      times.length ? String(round(times.at(-1)!)) : "-",
      times.length ? String(round(percentile(times, 50) - bootP50)) : "-",
      TARGET_MS[tier] ? `tier ${tier} < ${TARGET_MS[tier] / 1000} s + boot` : "-",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  const all = results.flatMap((r) => r.records);
  const processAll = results.filter((r) => r.fault.process).flatMap((r) => r.records);
  const ok = (list: (RepairRecord | null)[]) =>
    list.filter((r) => r?.outcome === "recovered").length;
  console.log(`Machine: ${await machine()}`);
  console.log(`Date: ${new Date().toISOString().slice(0, 10)}; RUNS=${RUNS}\n`);
  console.log([fmt(header), ...rows.map(fmt)].join("\n"));
  console.log(
    `\ncold boot (spawn to /healthz 200, every launch in this run): n=${boots.length} p50 ${round(bootP50)} ms, p95 ${round(percentile(boots, 95))} ms`,
  );
  console.log(
    `recovered without a human: ${ok(all)}/${all.length} overall (target >= 95%), ${ok(processAll)}/${processAll.length} process faults (target 100%)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
