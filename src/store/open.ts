import type { ClawopsConfig } from "../config/schema.js";
import type { Store } from "./store.js";

/**
 * Opens the configured store: PostgreSQL when `database.url` is set, else
 * embedded SQLite. Each driver is loaded only when used: a CLI run on SQLite
 * never loads `pg`.
 */
export async function openStore(config: ClawopsConfig): Promise<Store> {
  const { url, sqlitePath, connectTimeout } = config.database;
  if (url) return (await import("./postgres.js")).openPostgresStore(url, connectTimeout);
  return (await import("./sqlite.js")).openSqliteStore(sqlitePath!);
}
