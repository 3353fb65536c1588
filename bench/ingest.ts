/**
 * Ingest benchmarks (issue 15). Each mode prints its figures and the target.
 *
 *   npm run bench:ingest                     throughput + latency + crash
 *   npm run bench:ingest -- throughput       messages/s through store.sessions.addMessages, event-loop delay meanwhile
 *   npm run bench:ingest -- latency          real gateway under clawops up: chat final → stored, → published (TURNS, 30)
 *   npm run bench:ingest -- crash            kill -9 of clawops up mid-ingest (KILLS, 50), then missing/duplicates/totals
 *   CLAWOPS_TEST_DATABASE_URL=postgres://... npm run bench:ingest -- throughput   PostgreSQL too
 *
 * throughput: messages/s through `store.sessions.addMessages`, the one path
 * live events and history catch-up write through, then the same batches
 * again (a replay after a reconnect), which must store nothing; and the
 * event loop's delay meanwhile (the supervisor shares that loop in the daemon).
 * SQLite is a temp file opened as the daemon opens it (openSqliteStore: WAL,
 * synchronous=NORMAL). PostgreSQL runs on a scratch database of that server
 * (`bash scripts/services.sh start DIR` starts one; it runs with fsync off).
 * MESSAGES (200,000) messages in batches of BATCH (250) over SESSIONS (400)
 * sessions of 20 bots (text of 100 to 700 bytes, usage on assistant turns, a
 * tool call on one turn in four), in three shapes, each on an empty database:
 * live (one writer, ACTIVE (50) sessions interleaved), catch-up (one writer, a
 * session's history page by page) and fleet (the live messages as 20
 * gateways' streams written side by side, as the daemon's session syncs do).
 * latency and crash: bench/ingest-latency.ts and bench/ingest-crash.ts (they
 * need `bash scripts/install-gateway-runtime.sh`; they build clawops first).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PerformanceObserver, monitorEventLoopDelay } from "node:perf_hooks";
import pg from "pg";
import type { MessageRecord } from "../src/core/session.js";
import { openPostgresStore } from "../src/store/postgres.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import type { Store } from "../src/store/store.js";
import { tempDir } from "../test/helpers/cli.js";
import { createTestDatabase } from "../test/helpers/postgres.js";
import { benchCrash } from "./ingest-crash.js";
import { benchLatency } from "./ingest-latency.js";
import { type Summary, formatRows, machine, summarize } from "./stats.js";
import { syntheticMessage } from "./synthetic.js";

const MESSAGES = Number(process.env.MESSAGES ?? 200_000);
const BATCH = Number(process.env.BATCH ?? 250);
const SESSIONS = Number(process.env.SESSIONS ?? 400);
const ACTIVE = Number(process.env.ACTIVE ?? 50);
const TARGETS = { sqlite: 20_000, postgres: 30_000 } as const;
/** The event loop's delay p99 while the store writes: the supervisor shares that loop in the daemon. */
const LOOP_DELAY_TARGET_MS = 20;
/** The resolution of the daemon's own event-loop metric (prom-client's default): the same ruler. */
const LOOP_RESOLUTION_MS = 10;
/** Linux's USER_HZ: /proc counts CPU time in these. */
const CLOCK_TICKS = 100;

type Shape = "live" | "catch-up" | "fleet";

/**
 * The batches of a shape as streams written side by side, each stream's
 * batches in order. `live` and `catch-up` are one stream; `fleet` is the
 * live messages as the daemon receives them from its 20 gateways: one
 * stream per bot (its own sessions interleaved), the streams concurrent, as
 * each gateway's session sync writes on its own (the PostgreSQL pool has 10
 * connections; SQLite's one connection takes them in turn).
 */
function syntheticStreams(shape: Shape): MessageRecord[][][] {
  if (shape !== "fleet") return [syntheticBatches(shape)];
  const byBot = new Map<string, MessageRecord[]>();
  for (const m of syntheticBatches("live").flat()) {
    const stream = byBot.get(m.botId) ?? [];
    stream.push(m);
    byBot.set(m.botId, stream);
  }
  return [...byBot.values()].map((stream) => {
    const batches: MessageRecord[][] = [];
    for (let n = 0; n < stream.length; n += BATCH) batches.push(stream.slice(n, n + BATCH));
    return batches;
  });
}

/**
 * `live`: each batch interleaves ACTIVE sessions (a fleet's conversations as
 * their events arrive); `catch-up`: each batch is one session's next page of
 * history. Same messages, different index locality.
 */
function syntheticBatches(shape: "live" | "catch-up"): MessageRecord[][] {
  const bots = Array.from({ length: 20 }, () => randomUUID());
  const sessions = Array.from({ length: SESSIONS }, () => randomUUID());
  const perSession = Math.ceil(MESSAGES / SESSIONS);
  const start = Date.UTC(2026, 10, 1);
  const all: MessageRecord[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    // live: ACTIVE sessions at a time, round robin; catch-up: session after session.
    const s =
      shape === "live"
        ? Math.floor(i / (ACTIVE * perSession)) * ACTIVE + (i % ACTIVE)
        : Math.floor(i / perSession);
    const seq =
      shape === "live" ? Math.floor((i % (ACTIVE * perSession)) / ACTIVE) : i % perSession;
    all.push(syntheticMessage(bots[s % bots.length]!, sessions[s % SESSIONS]!, seq, i, start));
  }
  const batches: MessageRecord[][] = [];
  for (let n = 0; n < MESSAGES; n += BATCH) batches.push(all.slice(n, n + BATCH));
  return batches;
}

interface Opened {
  store: Store;
  /** The database server's CPU time so far in microseconds, when it runs on this machine. */
  serverCpuUs(): Promise<number | null>;
  close(): Promise<void>;
}

/**
 * Every batch once, timed: messages/s, the per-batch times, how many were
 * new, and CPU microseconds per message in this process and in the server.
 * On a busy machine wall time waits for a core; CPU time says what the
 * work costs.
 */
async function pass(opened: Opened, streams: MessageRecord[][][]) {
  const batchMs: number[] = [];
  let fresh = 0;
  const server = await opened.serverCpuUs();
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  // This process holds every synthetic message (for the replay): its GC pauses are the
  // bench's own weight, which a daemon receiving a batch at a time does not carry.
  const gcMs: number[] = [];
  const gc = new PerformanceObserver((list) =>
    gcMs.push(...list.getEntries().map((e) => e.duration)),
  );
  gc.observe({ entryTypes: ["gc"] });
  const cpu = process.cpuUsage();
  const started = performance.now();
  loop.enable();
  const write = async (batches: MessageRecord[][]) => {
    for (const batch of batches) {
      const t = performance.now();
      const stored = await opened.store.sessions.addMessages(batch);
      fresh += stored.length; // Not `fresh += await ...`: that reads `fresh` before the await.
      batchMs.push(performance.now() - t);
      // In the daemon each batch arrives as I/O (a gateway frame, a history page): the loop
      // turns between batches. Awaiting the next batch at once would only chain microtasks.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(streams.map(write));
  loop.disable();
  gc.disconnect();
  const seconds = (performance.now() - started) / 1_000;
  const used = process.cpuUsage(cpu);
  const serverAfter = await opened.serverCpuUs();
  const perMessage = (us: number) => Math.round((us / MESSAGES) * 10) / 10;
  return {
    perSecond: Math.round(MESSAGES / seconds),
    batchMs,
    fresh,
    cpuUs: perMessage(used.user + used.system),
    loopMs: {
      p50: loop.percentile(50) / 1e6,
      p99: loop.percentile(99) / 1e6,
      max: loop.max / 1e6,
    },
    serverCpuUs: server === null || serverAfter === null ? null : perMessage(serverAfter - server),
    gc: {
      pauses: gcMs.length,
      maxMs: Math.max(0, ...gcMs),
      over10Ms: gcMs.filter((d) => d > 10).length,
    },
  };
}

/** CPU time of a local PostgreSQL's backends serving `database`, from /proc (null when remote). */
async function backendCpuUs(adminUrl: string, database: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      // Client backends only: autovacuum's CPU is not on the ingest's path.
      "select pid from pg_stat_activity where datname = $1 and backend_type = 'client backend'",
      [database],
    );
    let ticks = 0;
    for (const { pid } of rows) {
      // Fields 14 and 15 of /proc/PID/stat (after the command name): user and system ticks.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks * (1_000_000 / CLOCK_TICKS);
  } catch {
    return null;
  } finally {
    await client.end();
  }
}

/**
 * The event loop's delay with nothing to do, for `ms`: on a machine shared
 * with other work this is the floor a pass's figure stands on.
 */
async function idleLoopDelay(ms = 2_000) {
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  await new Promise((resolve) => setTimeout(resolve, ms));
  loop.disable();
  return { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
}

/** Every shape on `name`, each on a store that `open` makes empty; prints the figures and the target. */
async function measure(name: keyof typeof TARGETS, open: () => Promise<Opened>) {
  const rows: [string, Summary][] = [];
  const lines: string[] = [];
  const target = TARGETS[name];
  let location = "";
  for (const shape of ["live", "catch-up", "fleet"] as const) {
    const batches = syntheticStreams(shape);
    const opened = await open();
    try {
      await opened.store.migrate();
      location = opened.store.location;
      const idle = await idleLoopDelay();
      const first = await pass(opened, batches);
      const replay = await pass(opened, batches);
      rows.push([`${shape}, batch of ${BATCH}`, summarize(first.batchMs)]);
      rows.push([`${shape}, replayed batch`, summarize(replay.batchMs)]);
      const verdict = first.perSecond >= target ? "ok" : "MISSED";
      const r = (n: number) => n.toFixed(1);
      lines.push(
        `  ${shape}: idle loop just before, p50 ${r(idle.p50)} ms, p99 ${r(idle.p99)} ms, max ${r(idle.max)} ms (the machine's share)`,
        `  ${shape.padEnd(8)} ${rate(first.perSecond)} messages/s, ${first.fresh.toLocaleString("en")} new, ${cpu(first)}   (target >= ${target.toLocaleString("en")}/s: ${verdict})`,
        `           ${loopDelay(first.loopMs)}`,
        `           GC pauses ${first.gc.pauses}, longest ${r(first.gc.maxMs)} ms, ${first.gc.over10Ms} over 10 ms (the bench's 200k messages in memory)`,
        `  replay   ${rate(replay.perSecond)} messages/s, ${replay.fresh} new, ${cpu(replay)}   (target: 0 new)`,
        `           ${loopDelay(replay.loopMs)}`,
      );
      if (first.fresh !== MESSAGES || replay.fresh !== 0) {
        throw new Error(`expected ${MESSAGES} new then 0, got ${first.fresh} then ${replay.fresh}`);
      }
    } finally {
      await opened.close();
    }
  }
  console.log(`\n${name} (${location}), per batch in ms:`);
  console.log(formatRows(rows));
  console.log(lines.join("\n"));
}

const rate = (n: number) => n.toLocaleString("en").padStart(7);

/** The event loop's delay meanwhile (monitorEventLoopDelay at 10 ms: an idle loop reads ~10 ms). */
function loopDelay(ms: { p50: number; p99: number; max: number }): string {
  const verdict = ms.p99 <= LOOP_DELAY_TARGET_MS ? "ok" : "MISSED";
  const r = (n: number) => n.toFixed(1);
  return `event loop delay p50 ${r(ms.p50)} ms, p99 ${r(ms.p99)} ms, max ${r(ms.max)} ms   (target p99 <= ${LOOP_DELAY_TARGET_MS} ms: ${verdict})`;
}

/** CPU per message in this process and, when measurable, in the server's backends. */
function cpu(p: { cpuUs: number; serverCpuUs: number | null }): string {
  const server = p.serverCpuUs === null ? "" : ` + ${p.serverCpuUs} server`;
  return `CPU ${p.cpuUs}${server} µs/message`;
}

async function benchThroughput() {
  console.log(`load average ${os.loadavg()[0]!.toFixed(1)}`);
  const sample = syntheticBatches("live").flat();
  const bytes = sample.reduce((sum, m) => sum + m.textBytes, 0);
  console.log(
    `${MESSAGES.toLocaleString("en")} messages (${Math.round(bytes / MESSAGES)} B of text on average) in batches of ${BATCH}, ${SESSIONS} sessions of 20 bots, ${ACTIVE} active at once when live`,
  );

  await measure("sqlite", async () => {
    const scratch = tempDir("clawops-bench-ingest-");
    const store = openSqliteStore(path.join(scratch.dir, "clawops.db"));
    return {
      store,
      serverCpuUs: () => Promise.resolve(null),
      close: async () => {
        await store.close();
        scratch.remove();
      },
    };
  });

  const url = process.env.CLAWOPS_TEST_DATABASE_URL;
  if (!url) {
    console.log(
      "\npostgres: skipped (set CLAWOPS_TEST_DATABASE_URL; scripts/services.sh starts a server)",
    );
    return;
  }
  await measure("postgres", async () => {
    const db = await createTestDatabase(url);
    const store = await openPostgresStore(db.url, 5_000);
    const name = new URL(db.url).pathname.slice(1);
    return {
      store,
      serverCpuUs: () => backendCpuUs(url, name),
      close: async () => {
        await store.close();
        await db.drop();
      },
    };
  });
}

const MODES: Record<string, () => Promise<void>> = {
  throughput: benchThroughput,
  latency: benchLatency,
  crash: benchCrash,
};

async function main() {
  const asked = process.argv.slice(2);
  const modes = asked.length > 0 ? asked : Object.keys(MODES);
  const started = performance.now();
  for (const mode of modes) {
    const run = MODES[mode];
    if (!run) throw new Error(`unknown mode ${mode}; one of ${Object.keys(MODES).join(", ")}`);
    console.log(`\n== ${mode} ==`);
    const t = performance.now();
    await run();
    console.log(`(${mode}: ${Math.round((performance.now() - t) / 1_000)} s)`);
  }
  console.log(`\nmachine: ${await machine()}`);
  console.log(
    `date: ${new Date().toISOString()}, ${Math.round((performance.now() - started) / 1_000)} s in all`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
