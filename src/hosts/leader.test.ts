import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/postgres.js";
import { serviceUrl } from "../../test/helpers/services.js";
import { sleep } from "../core/time.js";
import { LeaderElection } from "./leader.js";

const log = pino({ level: "silent" });

/** An election with its terms recorded: when each began and whether it is still on. */
function candidate(databaseUrl: string | null) {
  const terms: { signal: AbortSignal }[] = [];
  const stop = new AbortController();
  const election = new LeaderElection({
    databaseUrl,
    connectTimeoutMs: 5_000,
    log,
    retryMs: 200,
    onGain: (signal) => terms.push({ signal }),
  });
  const running = election.run(stop.signal);
  return {
    election,
    terms,
    leading: () => election.leader && terms.at(-1)?.signal.aborted === false,
    async stop() {
      stop.abort();
      await running;
    },
  };
}

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs}ms`);
    await sleep(10);
  }
  return Date.now() - started;
}

describe("leader election without PostgreSQL", () => {
  it("leads at once, alone, until stopped", async () => {
    const only = candidate(null);
    await until(only.leading);
    await only.stop();
    expect(only.election.leader).toBe(false);
    expect(only.terms[0]!.signal.aborted).toBe(true);
  });
});

const pgUrl = serviceUrl("CLAWOPS_TEST_DATABASE_URL", "PostgreSQL");

describe.skipIf(!pgUrl)("leader election on a PostgreSQL advisory lock", () => {
  let db: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    db = await createTestDatabase(pgUrl!);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("makes one leader of two; the other takes over when it stops", async () => {
    const a = candidate(db.url);
    await until(a.leading);
    const b = candidate(db.url);
    await sleep(600);
    expect([a.leading(), b.leading()]).toEqual([true, false]);
    await a.stop();
    const tookMs = await until(b.leading);
    expect(tookMs).toBeLessThan(2_000);
    expect(a.terms[0]!.signal.aborted).toBe(true);
    await b.stop();
  });

  it("ends the term of a leader whose connection the server cut, and someone leads again", async () => {
    const a = candidate(db.url);
    await until(a.leading);
    const b = candidate(db.url);
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'clawops-leader' and pid <> pg_backend_pid() and datname = current_database() and pid in (select pid from pg_locks where locktype = 'advisory' and granted)",
      );
    } finally {
      await admin.end();
    }
    await until(() => a.terms[0]!.signal.aborted);
    // One of them leads again (b most likely), never both.
    await until(() => a.leading() || b.leading());
    expect(a.leading() && b.leading()).toBe(false);
    await Promise.all([a.stop(), b.stop()]);
  });
});
