import { mkdirSync } from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { OpsError, errorMessage } from "../core/errors.js";
import { KyselyStore } from "./kysely-store.js";
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
  } catch (error) {
    throw new OpsError(
      "STORE_UNREACHABLE",
      `cannot open SQLite database ${file}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return new KyselyStore(db, "sqlite", file);
}
