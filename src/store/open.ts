import type { ClawopsConfig } from "../config/schema.js";
import { openPostgresStore } from "./postgres.js";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

/** Opens the configured store: PostgreSQL when `database.url` is set, else embedded SQLite. */
export async function openStore(config: ClawopsConfig): Promise<Store> {
  const { url, sqlitePath, connectTimeout } = config.database;
  if (url) return openPostgresStore(url, connectTimeout);
  return openSqliteStore(sqlitePath!);
}
