import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/postgres.js";
import { serviceUrl } from "../../test/helpers/services.js";
import type { KyselyStore } from "./kysely-store.js";
import { openPostgresStore } from "./postgres.js";
import { message, session } from "./session-store.contract.js";

const pgUrl = serviceUrl("CLAWOPS_TEST_DATABASE_URL", "PostgreSQL");

/** The pipelined write's failures (the contract suites cover its successes on both stores). */
describe.runIf(pgUrl)("pipelined message write on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: KyselyStore;
  let admin: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase(pgUrl!);
    store = await openPostgresStore(db.url, 5_000);
    await store.migrate();
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await store?.close();
    await db?.drop();
  });

  const usage = { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, costUsd: 0.5 };
  const batch = (botId: string, seqs: number[]) =>
    seqs.map((seq) =>
      message(botId, "s", seq, { role: "assistant", usage, costSource: "gateway" }),
    );

  it("stores nothing when the totals fail, and the connection serves the next batch", async () => {
    const { sessions } = store;
    await sessions.saveSessions([session("totals-fail", "s")]);
    await admin.query(
      "alter table sessions add constraint one_at_most check (message_count <= 1) not valid",
    );
    try {
      await expect(sessions.addMessages(batch("totals-fail", [1, 2]))).rejects.toThrow(
        /one_at_most/,
      );
      expect(await sessions.listMessages("totals-fail", "s")).toEqual([]);
    } finally {
      await admin.query("alter table sessions drop constraint one_at_most");
    }
    expect(await sessions.addMessages(batch("totals-fail", [1, 2]))).toHaveLength(2);
    const totals = (await sessions.getSession("totals-fail", "s"))!;
    expect(totals.messageCount).toBe(2);
    expect(totals.usage.costUsd).toBeCloseTo(1, 9);
  });

  it("throws the insert's own failure, not the aborted statements' behind it", async () => {
    const { sessions } = store;
    await sessions.saveSessions([session("insert-fail", "s")]);
    await admin.query("alter table messages add constraint seq_below_9 check (seq < 9) not valid");
    try {
      const rows = Array.from({ length: 10_001 }, (_, i) => i);
      // Two insert statements (10,000 rows each): the first fails, the second is refused.
      await expect(sessions.addMessages(batch("insert-fail", rows))).rejects.toThrow(/seq_below_9/);
      expect(await sessions.listMessages("insert-fail", "s")).toEqual([]);
      expect((await sessions.getSession("insert-fail", "s"))!.messageCount).toBe(0);
    } finally {
      await admin.query("alter table messages drop constraint seq_below_9");
    }
  });
});
