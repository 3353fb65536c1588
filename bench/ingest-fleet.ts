/**
 * What the live ingest benchmarks share: a built `clawops up` supervising one
 * real gateway (`onExit: keep`, so a killed clawops leaves it running), the
 * fake LLM behind it, a protocol client of the bench's own that sends chat
 * turns, and a read-only look into clawops's SQLite store from outside.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { stringify } from "yaml";
import { z } from "zod";
import { sleep } from "../src/core/time.js";
import { GatewayClient } from "../src/gateway/client.js";
import { type FakeLlm, startFakeLlm } from "../test/harness/fake-llm.js";
import {
  acquireGatewaySlot,
  gatewayRuntimeAvailable,
  minimalGatewayConfig,
  supervisedClawopsConfig,
} from "../test/harness/gateway.js";
import { type RunningDaemon, freePort, runCli, startUp, tempDir } from "../test/helpers/cli.js";
import { percentile, round } from "./stats.js";

const require = createRequire(import.meta.url);

/** US dollars per million tokens in the gateway's config: every answer has a cost to sum. */
export const PRICE = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };

let built = false;

/** `tsc -p tsconfig.build.json` once per run: the benches measure the daemon as shipped. */
export function buildOnce(): void {
  if (built) return;
  execFileSync(process.execPath, [
    require.resolve("typescript/bin/tsc"),
    "-p",
    "tsconfig.build.json",
  ]);
  built = true;
}

export interface IngestFleet {
  dir: string;
  llm: FakeLlm;
  gatewayPort: number;
  configPath: string;
  /** The bench's own protocol connection to the gateway (chat turns, history). */
  client: GatewayClient;
  daemon: RunningDaemon | null;
  /** `clawops up` in the folder, once /readyz answers. */
  up(): Promise<RunningDaemon>;
  /** clawops's store, read-only, opened on first use (the daemon creates it). */
  db(): SqliteDatabase.Database;
  close(): Promise<void>;
}

/**
 * A built `clawops up` running bot `alpha`, a real gateway (started through
 * `clawops bot start`, kept running when clawops goes away) answered by the
 * fake LLM with `chunkDelayMs` between streamed chunks.
 */
export async function startIngestFleet(chunkDelayMs = 5): Promise<IngestFleet> {
  if (!gatewayRuntimeAvailable()) throw new Error("run scripts/install-gateway-runtime.sh first");
  buildOnce();
  const release = await acquireGatewaySlot();
  const scratch = tempDir("clawops-bench-ingest-live-");
  const dir = scratch.dir;
  const botDir = path.join(dir, "alpha");
  const configPath = path.join(botDir, "openclaw.json");
  const llm = await startFakeLlm();
  llm.setChunkDelayMs(chunkDelayMs);
  const httpPort = await freePort();
  const gatewayPort = await freePort();
  const token = randomUUID().replaceAll("-", "");
  mkdirSync(path.join(botDir, "state"), { recursive: true });
  const config = minimalGatewayConfig({
    dir: botDir,
    port: gatewayPort,
    token,
    llmBaseUrl: llm.baseUrl,
  });
  config.models.providers.fake.models[0]!.cost = PRICE;
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  writeFileSync(
    path.join(dir, "clawops.yaml"),
    stringify(
      supervisedClawopsConfig(dir, httpPort, {
        supervisor: { ...supervisedClawopsConfig(dir, httpPort).supervisor, onExit: "keep" },
        log: { level: "warn" },
      }),
    ),
  );
  const cli = async (args: string[]) => {
    const result = await runCli(args, { cwd: dir });
    if (result.code !== 0) throw new Error(`clawops ${args.join(" ")}: ${result.stderr}`);
  };
  let database: SqliteDatabase.Database | null = null;
  const fleet: IngestFleet = {
    dir,
    llm,
    gatewayPort,
    configPath,
    client: null as unknown as GatewayClient,
    daemon: null,
    async up() {
      fleet.daemon = await startUp({ cwd: dir, port: httpPort });
      return fleet.daemon;
    },
    db() {
      database ??= new SqliteDatabase(path.join(dir, "data", "clawops.db"), {
        readonly: true,
        fileMustExist: true,
      });
      return database;
    },
    async close() {
      fleet.client?.close();
      database?.close();
      if (!fleet.daemon || fleet.daemon.child.exitCode !== null) await fleet.up();
      await runCli(["bot", "stop", "alpha"], { cwd: dir });
      await fleet.daemon?.stop("SIGTERM");
      await llm.close();
      release();
      scratch.remove();
    },
  };
  try {
    await fleet.up();
    await cli([
      "bot",
      "add",
      "alpha",
      "--port",
      String(gatewayPort),
      "--config",
      configPath,
      "--state-dir",
      path.join(botDir, "state"),
    ]);
    await cli(["bot", "start", "alpha"]);
    fleet.client = await GatewayClient.connect({
      url: `ws://127.0.0.1:${gatewayPort}/`,
      token,
      bootWaitMs: 60_000,
    });
  } catch (error) {
    await fleet.close().catch(() => undefined);
    throw error;
  }
  return fleet;
}

/**
 * Sends one chat message over `client` (`chat.send`, as test/ingest-live.test.ts
 * does) and resolves with the moment (performance.now()) its `chat` final
 * frame arrived: the reply is committed. Rejects on an `error` or `aborted` frame.
 */
export async function chatTurn(
  client: GatewayClient,
  sessionKey: string,
  message: string,
  timeoutMs = 120_000,
): Promise<number> {
  const runId = randomUUID();
  let off: () => void = () => undefined;
  const final = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no final frame for ${runId}`)), timeoutMs);
    off = client.onEvent((e) => {
      const p = e.payload as { runId?: string; state?: string; errorMessage?: string };
      if (e.event !== "chat" || p.runId !== runId) return;
      if (p.state === "final") resolve(performance.now());
      else if (p.state === "error" || p.state === "aborted")
        reject(new Error(`turn ${p.state}: ${p.errorMessage ?? ""}`));
      else return;
      clearTimeout(timer);
      off();
    });
  });
  try {
    await client.request("chat.send", { sessionKey, message, idempotencyKey: runId }, z.unknown());
  } catch (error) {
    off();
    throw error;
  }
  return final;
}

/** Resolves with `get()` once it is defined, polling every `everyMs`; null after `timeoutMs`. */
export async function pollFor<T>(
  get: () => T | undefined,
  everyMs: number,
  timeoutMs: number,
): Promise<T | null> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (performance.now() > deadline) return null;
    await sleep(everyMs);
  }
}

/** One row of p50/p95/p99/max (ms) per measurement. */
export function formatPercentiles(rows: readonly (readonly [string, readonly number[]])[]) {
  const header = ["measurement", "n", "min", "p50", "p95", "p99", "max"];
  const lines = rows.map(([name, samples]) => {
    const sorted = [...samples].sort((a, b) => a - b);
    if (sorted.length === 0) return [name, "0", "-", "-", "-", "-", "-"];
    const at = (p: number) => String(round(percentile(sorted, p)));
    return [
      name,
      String(sorted.length),
      String(round(sorted[0]!)),
      at(50),
      at(95),
      at(99),
      String(round(sorted.at(-1)!)),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [fmt(header), ...lines.map(fmt)].join("\n");
}
