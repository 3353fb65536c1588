import SqliteDatabase from "better-sqlite3";
import { Kysely, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { FairSqliteDialect } from "./sqlite-dialect.js";

interface Db {
  log: { id: number | null; what: string };
}

describe("FairSqliteDialect", () => {
  it("runs queries in the order they were issued, a transaction's writes together", async () => {
    const sqlite = new SqliteDatabase(":memory:");
    const db = new Kysely<Db>({ dialect: new FairSqliteDialect({ database: sqlite }) });
    try {
      await sql`create table log (id integer primary key autoincrement, what text not null)`.execute(
        db,
      );
      const insert = (what: string) => db.insertInto("log").values({ what }).execute();
      const issued: Promise<unknown>[] = [];
      for (let i = 0; i < 50; i += 1) issued.push(insert(`q${i}`));
      // A transaction issued in the middle holds the connection across its awaits.
      issued.push(
        db.transaction().execute(async (tx) => {
          await tx.insertInto("log").values({ what: "tx-a" }).execute();
          await new Promise((resolve) => setTimeout(resolve, 20));
          await tx.insertInto("log").values({ what: "tx-b" }).execute();
        }),
      );
      for (let i = 50; i < 100; i += 1) issued.push(insert(`q${i}`));
      // A failed query releases the connection like any other.
      issued.push(sql`select * from nowhere`.execute(db).catch(() => "failed"));
      issued.push(insert("last"));
      await Promise.all(issued);
      const rows = await db.selectFrom("log").select("what").orderBy("id").execute();
      expect(rows.map((r) => r.what)).toEqual([
        ...Array.from({ length: 50 }, (_, i) => `q${i}`),
        "tx-a",
        "tx-b",
        ...Array.from({ length: 50 }, (_, i) => `q${i + 50}`),
        "last",
      ]);
    } finally {
      await db.destroy();
    }
  });
});
