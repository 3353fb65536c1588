import SqliteDatabase from "better-sqlite3";
import { OpsError, errorMessage } from "../core/errors.js";
import { redactDatabaseUrl } from "../store/postgres.js";
import { findOnPath } from "../system/files.js";
import { runProcess } from "../system/run.js";

/**
 * Copies a live SQLite database (WAL or not) to `dest` through SQLite's
 * online backup API, from a read-only connection: the copy is one consistent
 * state even while its owner writes, and the owner is never blocked for long.
 * The copy is switched to rollback-journal mode so that it is one
 * self-contained file. Throws when `source` is not a database.
 */
export async function copySqliteOnline(source: string, dest: string): Promise<void> {
  const db = new SqliteDatabase(source, { readonly: true, fileMustExist: true, timeout: 10_000 });
  try {
    // A whole-database step after the first: a write by the owner between steps would
    // restart the copy, and a big step leaves it no room to (the read lock is short).
    await db.backup(dest, { progress: ({ remainingPages }) => Math.max(100, remainingPages) });
  } finally {
    db.close();
  }
  const copy = new SqliteDatabase(dest, { fileMustExist: true });
  try {
    copy.pragma("journal_mode = DELETE");
  } finally {
    copy.close();
  }
}

/** `PRAGMA integrity_check` of a database file: `ok`, or SQLite's first complaints. */
export function sqliteIntegrity(file: string): string {
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma("integrity_check", { simple: false }) as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join("; ");
  } finally {
    db.close();
  }
}

/** True when the file starts with SQLite's magic header (what `*.sqlite` files should be). */
export function isSqliteHeader(head: Buffer): boolean {
  return head.subarray(0, 16).toString("latin1") === "SQLite format 3\0";
}

/**
 * libpq's environment for a `postgres://` URL, so that the password reaches
 * pg_dump and pg_restore in their environment, never on their command line
 * (which `ps` shows) or in a log.
 */
export function libpqEnv(url: string): Record<string, string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OpsError("VALIDATION", `not a PostgreSQL URL: ${redactDatabaseUrl(url)}`);
  }
  const env: Record<string, string> = {};
  if (parsed.hostname) env.PGHOST = decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, ""));
  if (parsed.port) env.PGPORT = parsed.port;
  if (parsed.username) env.PGUSER = decodeURIComponent(parsed.username);
  if (parsed.password) env.PGPASSWORD = decodeURIComponent(parsed.password);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (database) env.PGDATABASE = database;
  const params: Record<string, string> = {
    sslmode: "PGSSLMODE",
    sslrootcert: "PGSSLROOTCERT",
    sslcert: "PGSSLCERT",
    sslkey: "PGSSLKEY",
    application_name: "PGAPPNAME",
    host: "PGHOST",
    port: "PGPORT",
  };
  for (const [key, value] of parsed.searchParams) {
    const name = params[key];
    if (name) env[name] = value;
  }
  env.PGCONNECT_TIMEOUT ??= "10";
  return env;
}

/** The child's environment: PATH and locale from ours, the connection from the URL, nothing else of ours. */
function pgChildEnv(url: string): NodeJS.ProcessEnv {
  const keep = ["PATH", "LANG", "LC_ALL", "HOME", "TZ"];
  const base = Object.fromEntries(
    keep.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]]])),
  );
  return { ...base, ...libpqEnv(url) };
}

function pgTool(name: "pg_dump" | "pg_restore"): string {
  const found = findOnPath(name);
  if (!found)
    throw new OpsError(
      "UNAVAILABLE",
      `${name} is not installed (Debian: apt-get install postgresql-client); it is needed to back up or restore a PostgreSQL store`,
    );
  return found;
}

/** One consistent snapshot of the database (`pg_dump`'s custom format) into `dest`. */
export async function pgDump(url: string, dest: string, timeoutMs = 3_600_000): Promise<void> {
  const result = await runProcess(
    pgTool("pg_dump"),
    ["--format=custom", "--no-owner", "--no-privileges", "--file", dest],
    { env: pgChildEnv(url), timeoutMs },
  ).catch((error: unknown) => {
    throw new OpsError("UNAVAILABLE", `pg_dump could not start: ${errorMessage(error)}`);
  });
  if (result.code !== 0)
    throw new OpsError(
      "UNAVAILABLE",
      `pg_dump of ${redactDatabaseUrl(url)} failed${result.timedOut ? " (timed out)" : ""}: ${result.stderr.trim()}`,
    );
}

/** Restores a custom-format dump into the (empty) database of `url`, in one transaction. */
export async function pgRestore(url: string, dump: string, timeoutMs = 3_600_000): Promise<void> {
  const env = pgChildEnv(url);
  if (!env.PGDATABASE || env.PGDATABASE.includes("="))
    throw new OpsError("USAGE", "the --database-url names no database (or a name with '=')");
  const result = await runProcess(
    pgTool("pg_restore"),
    [
      "--no-owner",
      "--no-privileges",
      "--exit-on-error",
      "--single-transaction",
      // A database name, never a connection string: the rest is in the environment.
      `--dbname=${env.PGDATABASE}`,
      dump,
    ],
    { env, timeoutMs },
  ).catch((error: unknown) => {
    throw new OpsError("UNAVAILABLE", `pg_restore could not start: ${errorMessage(error)}`);
  });
  if (result.code !== 0)
    throw new OpsError(
      "UNAVAILABLE",
      `pg_restore into ${redactDatabaseUrl(url)} failed: ${result.stderr.trim()}`,
    );
}

/** The tables in the database's user schemas: a restore goes only into a database that has none. */
export async function pgUserTables(url: string): Promise<string[]> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string }>(
      `select schemaname || '.' || tablename as name from pg_catalog.pg_tables
       where schemaname not in ('pg_catalog', 'information_schema') order by 1`,
    );
    return rows.map((r) => r.name);
  } catch (error) {
    throw new OpsError(
      "STORE_UNREACHABLE",
      `cannot reach PostgreSQL at ${redactDatabaseUrl(url)}: ${errorMessage(error)}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
