/**
 * Backup while serving (issue 19, docs/backup.md): `clawops backup` of a
 * STORE_MB (1024) SQLite store and GATEWAYS (3) real gateways' state while
 * the gateways answer chat turns and `clawops up` runs them. Reports the
 * backup's time and size, and, before and during it, each gateway's chat
 * turns (`chat.send` to the final frame, one every TURN_EVERY_MS (3000) per
 * gateway, the fake LLM answering: a fleet that serves, not one saturating
 * both cores before the backup starts), its `/healthz` every PROBE_MS (50),
 * and the daemon's own `/readyz`. Target: no stall over 100 ms (a probe or a turn
 * that takes 100 ms more during the backup than its baseline's p99).
 *
 *   npm run bench:backup
 *   STORE_MB=256 GATEWAYS=2 npm run bench:backup
 *
 * GATEWAYS defaults to 3, this machine's limit of live gateways (the issue's
 * 10 bots would be 10 GB of gateways and is not run here). The store is
 * filled before `clawops up` with synthetic conversations written through
 * `store.sessions.addMessages` (bench/synthetic.ts), as ingest writes them.
 */
import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import path from "node:path";
import { sleep } from "../src/core/time.js";
import { GatewayClient } from "../src/gateway/client.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import { runCli } from "../test/helpers/cli.js";
import { chatTurn } from "./ingest-fleet.js";
import { realFleet } from "./real-fleet.js";
import { type Summary, formatRows, machine, round, summarize } from "./stats.js";
import { syntheticMessage } from "./synthetic.js";

const STORE_MB = Number(process.env.STORE_MB ?? 1024);
const GATEWAYS = Number(process.env.GATEWAYS ?? 3);
const PROBE_MS = Number(process.env.PROBE_MS ?? 50);
const BASELINE_MS = Number(process.env.BASELINE_MS ?? 30_000);
const TURN_EVERY_MS = Number(process.env.TURN_EVERY_MS ?? 3_000);
const STALL_MS = 100;
const BATCH = 500;
const PER_SESSION = 200;

/** One timed answer: when it was asked (performance.now()) and how long it took. */
interface Sample {
  at: number;
  ms: number;
}

/** Writes synthetic conversations into the SQLite store at `file` until it is `mb` MiB. */
async function fillStore(file: string, mb: number): Promise<{ messages: number; ms: number }> {
  const store = openSqliteStore(file);
  const started = performance.now();
  let messages = 0;
  try {
    await store.migrate();
    const bots = Array.from({ length: 10 }, () => randomUUID());
    const start = Date.UTC(2026, 10, 1);
    let session = randomUUID();
    const size = () =>
      statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    while (size() < mb * 2 ** 20) {
      const batch = [];
      for (let n = 0; n < BATCH; n++, messages++) {
        if (messages % PER_SESSION === 0) session = randomUUID();
        const bot = bots[Math.floor(messages / PER_SESSION) % bots.length]!;
        batch.push(syntheticMessage(bot, session, messages % PER_SESSION, messages, start));
      }
      await store.sessions.addMessages(batch);
      if (messages % 100_000 === 0)
        process.stdout.write(
          `  store: ${messages} messages, ${Math.round(size() / 2 ** 20)} MiB\n`,
        );
    }
  } finally {
    await store.close();
  }
  return { messages, ms: performance.now() - started };
}

/** Calls `probe` again as soon as it answers (or every `everyMs`), until `signal` aborts. */
async function sample(
  samples: Sample[],
  signal: AbortSignal,
  probe: () => Promise<unknown>,
  everyMs = 0,
) {
  while (!signal.aborted) {
    const at = performance.now();
    try {
      await probe();
      samples.push({ at, ms: performance.now() - at });
    } catch {
      samples.push({ at, ms: Number.POSITIVE_INFINITY });
    }
    const rest = everyMs - (performance.now() - at);
    if (rest > 0) await sleep(rest);
  }
}

async function main() {
  console.log(`clawops bench:backup on ${await machine()}`);
  const fleet = await realFleet({ prefix: "clawops-bench-backup-", gateways: GATEWAYS });
  const stop = new AbortController();
  const clients: GatewayClient[] = [];
  try {
    const storeFile = path.join(fleet.dataDir, "clawops.db");
    const filled = await fillStore(storeFile, STORE_MB);
    console.log(
      `store filled: ${filled.messages} messages, ${Math.round(statSync(storeFile).size / 2 ** 20)} MiB in ${round(filled.ms / 1000)} s`,
    );
    await fleet.up();
    await fleet.allRunning(300_000);
    const turns = new Map<string, Sample[]>();
    const healthz = new Map<string, Sample[]>();
    const daemon: Sample[] = [];
    const load: Promise<void>[] = [];
    for (const bot of fleet.bots) {
      const client = await GatewayClient.connect({
        url: `ws://127.0.0.1:${bot.port}/`,
        token: bot.token,
        bootWaitMs: 60_000,
      });
      clients.push(client);
      turns.set(bot.name, []);
      healthz.set(bot.name, []);
      let n = 0;
      load.push(
        sample(
          turns.get(bot.name)!,
          stop.signal,
          () => chatTurn(client, `agent:main:bench-${n++ % 20}`, "How are the logs?"),
          TURN_EVERY_MS,
        ),
        sample(
          healthz.get(bot.name)!,
          stop.signal,
          async () => {
            const response = await fetch(`http://127.0.0.1:${bot.port}/healthz`);
            await response.arrayBuffer();
            if (!response.ok) throw new Error(String(response.status));
          },
          PROBE_MS,
        ),
      );
    }
    load.push(
      sample(
        daemon,
        stop.signal,
        async () => {
          const response = await fleet.daemon!.fetch("/readyz");
          await response.arrayBuffer();
        },
        PROBE_MS,
      ),
    );
    // Warm: the first turns of each session are slower (the gateway opens its databases).
    await sleep(15_000);
    const baselineFrom = performance.now();
    await sleep(BASELINE_MS);
    const backupFrom = performance.now();
    const result = await runCli(["backup", "--to", path.join(fleet.dir, "out"), "--json"], {
      cwd: fleet.dir,
      timeoutMs: 1_800_000,
    });
    const backupTo = performance.now();
    stop.abort();
    await Promise.all(load);
    if (result.code !== 0) throw new Error(`clawops backup: ${result.stderr}`);
    const { backup } = JSON.parse(result.stdout) as {
      backup: { files: number; bytes: number; durationMs: number };
    };
    const mib = backup.bytes / 2 ** 20;
    const seconds = (backupTo - backupFrom) / 1000;
    console.log(
      `\nbackup: ${backup.files} files, ${mib.toFixed(0)} MiB in ${seconds.toFixed(1)} s (${(mib / seconds).toFixed(0)} MiB/s; the command's own figure ${backup.durationMs} ms)`,
    );
    const phase = (samples: Sample[], from: number, to: number) =>
      samples.filter((s) => s.at >= from && s.at < to).map((s) => s.ms);
    const rows: [string, Summary][] = [];
    let stalls = 0;
    const report = (name: string, samples: Sample[]) => {
      const before = phase(samples, baselineFrom, backupFrom);
      const during = phase(samples, backupFrom, backupTo);
      if (before.length === 0 || during.length === 0) return;
      const base = summarize(before);
      const under = summarize(during);
      rows.push([`${name} before`, base], [`${name} during`, under]);
      stalls += during.filter((ms) => ms > base.p99 + STALL_MS).length;
    };
    for (const bot of fleet.bots) {
      report(`${bot.name} chat turn`, turns.get(bot.name)!);
      report(`${bot.name} /healthz`, healthz.get(bot.name)!);
    }
    report("clawops /readyz", daemon);
    console.log(formatRows(rows));
    console.log(
      `\nstalls (an answer during the backup over its baseline p99 + ${STALL_MS} ms): ${stalls}; target 0: ${stalls === 0 ? "met" : "MISSED"}`,
    );
  } finally {
    stop.abort();
    for (const client of clients) client.close();
    await fleet.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
