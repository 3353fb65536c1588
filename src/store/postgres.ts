import { Kysely, PostgresDialect } from "kysely";
import type pg from "pg";
import { OpsError, errorMessage } from "../core/errors.js";
import { KyselyStore } from "./kysely-store.js";
import type { Database } from "./schema.js";

const INT8_OID = 20;

/** The URL without its password, for messages and status. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://<unparseable url>";
  }
}

/**
 * Connects to PostgreSQL and checks that it answers. Throws
 * `STORE_UNREACHABLE` with the redacted URL and the driver's reason.
 */
export async function openPostgresStore(
  url: string,
  connectTimeoutMs: number,
): Promise<KyselyStore> {
  const location = redactDatabaseUrl(url);
  // Loaded here, not at the top: a daemon on SQLite (the default) never needs it (~3 MB of heap).
  const { default: driver } = await import("pg");
  const pool = new driver.Pool({
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
    max: 10,
    // Queries go out without waiting for the one before when a caller sends several (the
    // message writer, pg-message-write.ts); one at a time, as Kysely sends them, nothing changes.
    pipeline: true,
    // Event ids are bigserial: numbers stay below 2^53 for any realistic log.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID
          ? Number
          : (driver.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the daemon; the next query reports it.
  pool.on("error", () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new OpsError(
      "STORE_UNREACHABLE",
      `cannot reach PostgreSQL at ${location}: ${describe(error)}`,
      {
        cause: error,
        details: { location },
      },
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return new KyselyStore(db, "postgres", location, { pool });
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string; errors?: unknown[] };
  // Node's AggregateError for multi-address connects hides the reason in .errors.
  const inner = Array.isArray(e.errors) && e.errors.length > 0 ? (e.errors[0] as Error) : undefined;
  const text = inner?.message || e.message || errorMessage(error);
  return e.code && !text.includes(e.code) ? `${e.code} ${text}` : text;
}
