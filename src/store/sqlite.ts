import { mkdirSync } from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely } from "kysely";
import { OpsError, errorMessage } from "../core/errors.js";
import { KyselyStore } from "./kysely-store.js";
import { FairSqliteDialect } from "./sqlite-dialect.js";
import type { Database } from "./schema.js";

/** Opens (creating if needed) the embedded SQLite store in WAL mode. */
export function openSqliteStore(file: string): KyselyStore {
  let sqlite: SqliteDatabase.Database;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    sqlite = new SqliteDatabase(file, { timeout: 5_000 });
    sqlite.pragma("journal_mode = WAL");
    // WAL with synchronous=NORMAL is durable across process crashes; only a power loss can drop the last commit.
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("foreign_keys = ON");
    // A checkpoint runs inside the commit that crosses the threshold, on the event loop the
    // supervisor shares: at SQLite's 1,000 pages (4 MB) each took ~10 ms during a burst of
    // ingest (loop p99 22 ms); at 250 pages each is a quarter of that (p99 17 ms, and more
    // messages a second). bench/RESULTS.md, ingest throughput.
    sqlite.pragma("wal_autocheckpoint = 250");
  } catch (error) {
    throw new OpsError(
      "STORE_UNREACHABLE",
      `cannot open SQLite database ${file}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  const db = new Kysely<Database>({ dialect: new FairSqliteDialect({ database: sqlite }) });
  return new KyselyStore(db, "sqlite", file, { sqlite });
}
