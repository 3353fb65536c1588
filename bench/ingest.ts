/**
 * Ingest benchmark (issue 15): messages/s through `store.sessions.addMessages`,
 * the one path live events and history catch-up write through, then the same
 * batches again (a replay after a reconnect), which must store nothing.
 *
 *   npm run bench:ingest
 *   CLAWOPS_TEST_DATABASE_URL=postgres://... npm run bench:ingest   PostgreSQL too
 *
 * SQLite is a temp file opened as the daemon opens it (openSqliteStore: WAL,
 * synchronous=NORMAL). PostgreSQL runs on a scratch database of that server
 * (`bash scripts/services.sh start DIR` starts one; it runs with fsync off).
 * MESSAGES (200,000) messages in batches of BATCH (250) over SESSIONS (400)
 * sessions of 20 bots (text of 100 to 700 bytes, usage on assistant turns, a
 * tool call on one turn in four), in two shapes, each on an empty database:
 * live (ACTIVE (50) sessions interleaved) and catch-up (a session's history
 * page by page).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { MessageRecord } from "../src/core/session.js";
import { openPostgresStore } from "../src/store/postgres.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import type { Store } from "../src/store/store.js";
import { tempDir } from "../test/helpers/cli.js";
import { createTestDatabase } from "../test/helpers/postgres.js";
import { type Summary, formatRows, machine, summarize } from "./stats.js";

const MESSAGES = Number(process.env.MESSAGES ?? 200_000);
const BATCH = Number(process.env.BATCH ?? 250);
const SESSIONS = Number(process.env.SESSIONS ?? 400);
const ACTIVE = Number(process.env.ACTIVE ?? 50);
const TARGETS = { sqlite: 20_000, postgres: 30_000 } as const;
/** Linux's USER_HZ: /proc counts CPU time in these. */
const CLOCK_TICKS = 100;

const WORDS = "the gateway agent replied with a summary of logs tool call result error retry".split(
  " ",
);

/** Words up to about `bytes` long: text that compresses and compares like prose. */
function prose(bytes: number, seed: number): string {
  const out: string[] = [];
  let length = 0;
  for (let i = seed; length < bytes; i = (i * 1_103_515_245 + 12_345) % 2 ** 31) {
    const word = WORDS[i % WORDS.length]!;
    out.push(word);
    length += word.length + 1;
  }
  return out.join(" ");
}

type Shape = "live" | "catch-up";

/**
 * `live`: each batch interleaves ACTIVE sessions (a fleet's conversations as
 * their events arrive); `catch-up`: each batch is one session's next page of
 * history. Same messages, different index locality.
 */
function syntheticBatches(shape: Shape): MessageRecord[][] {
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

/** Message `seq` of a session: even seqs the user's, odd ones the assistant's with usage. */
function syntheticMessage(
  botId: string,
  sessionId: string,
  seq: number,
  i: number,
  start: number,
): MessageRecord {
  const assistant = seq % 2 === 1;
  const text = prose(100 + ((i * 37) % 600), i);
  return {
    botId,
    sessionId,
    seq,
    role: assistant ? "assistant" : "user",
    text,
    textBytes: Buffer.byteLength(text),
    toolCalls:
      assistant && seq % 4 === 1
        ? [{ id: `call-${i}`, name: "exec", arguments: '{"command":"ls -la /srv"}' }]
        : [],
    toolCallId: null,
    isError: false,
    costSource: assistant ? "gateway" : null,
    usage: assistant
      ? {
          input: 1_200 + (i % 800),
          output: 150 + (i % 300),
          cacheRead: 4_000,
          cacheWrite: 0,
          costUsd: 0.0042,
        }
      : null,
    stopReason: assistant ? "stop" : null,
    model: assistant ? "anthropic/claude-opus-4-6" : null,
    latencyMs: assistant ? 900 + (i % 2_000) : null,
    at: new Date(start + i * 1_000).toISOString(),
  };
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
async function pass(opened: Opened, batches: MessageRecord[][]) {
  const batchMs: number[] = [];
  let fresh = 0;
  const server = await opened.serverCpuUs();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const batch of batches) {
    const t = performance.now();
    fresh += (await opened.store.sessions.addMessages(batch)).length;
    batchMs.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1_000;
  const used = process.cpuUsage(cpu);
  const serverAfter = await opened.serverCpuUs();
  const perMessage = (us: number) => Math.round((us / MESSAGES) * 10) / 10;
  return {
    perSecond: Math.round(MESSAGES / seconds),
    batchMs,
    fresh,
    cpuUs: perMessage(used.user + used.system),
    serverCpuUs: server === null || serverAfter === null ? null : perMessage(serverAfter - server),
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

/** Both shapes on `name`, each on a store that `open` makes empty; prints the figures and the target. */
async function measure(name: keyof typeof TARGETS, open: () => Promise<Opened>) {
  const rows: [string, Summary][] = [];
  const lines: string[] = [];
  const target = TARGETS[name];
  let location = "";
  for (const shape of ["live", "catch-up"] as const) {
    const batches = syntheticBatches(shape);
    const opened = await open();
    try {
      await opened.store.migrate();
      location = opened.store.location;
      const first = await pass(opened, batches);
      const replay = await pass(opened, batches);
      rows.push([`${shape}, batch of ${BATCH}`, summarize(first.batchMs)]);
      rows.push([`${shape}, replayed batch`, summarize(replay.batchMs)]);
      const verdict = first.perSecond >= target ? "ok" : "MISSED";
      lines.push(
        `  ${shape.padEnd(8)} ${rate(first.perSecond)} messages/s, ${first.fresh.toLocaleString("en")} new, ${cpu(first)}   (target >= ${target.toLocaleString("en")}/s: ${verdict})`,
        `  replay   ${rate(replay.perSecond)} messages/s, ${replay.fresh} new, ${cpu(replay)}   (target: 0 new)`,
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

/** CPU per message in this process and, when measurable, in the server's backends. */
function cpu(p: { cpuUs: number; serverCpuUs: number | null }): string {
  const server = p.serverCpuUs === null ? "" : ` + ${p.serverCpuUs} server`;
  return `CPU ${p.cpuUs}${server} µs/message`;
}

async function main() {
  console.log(`machine: ${await machine()}, load average ${os.loadavg()[0]!.toFixed(1)}`);
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

await main();
