import type { Kysely, Transaction } from "kysely";
import { abortedTransaction, asStoreError } from "./errors.js";
import type { Database, Dialect } from "./schema.js";

/**
 * A transaction whose failure is the one its work hit: when SQLite aborts a
 * transaction by itself (a full disk), the ROLLBACK that follows fails with
 * "cannot rollback - no transaction is active" and would hide the cause.
 * `location` names the store in that message.
 */
export async function transact<T>(
  db: Kysely<Database>,
  location: string,
  work: (tx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  let original: unknown = undefined;
  try {
    return await db.transaction().execute(async (tx) => {
      try {
        return await work(tx);
      } catch (error) {
        original = error;
        throw error;
      }
    });
  } catch (error) {
    // Work that failed says why; otherwise it was the COMMIT, hidden behind a failed ROLLBACK.
    throw asStoreError(original ?? abortedTransaction(error, location));
  }
}

/** The write's own failure, a full disk named as such (`asStoreError`). */
export async function storeErrors<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    throw asStoreError(error);
  }
}

/** Bound parameters one statement may carry: SQLite's SQLITE_MAX_VARIABLE_NUMBER, PostgreSQL's wire limit. */
const MAX_PARAMS: Record<Dialect, number> = { sqlite: 32_766, postgres: 65_535 };

/** Rows of `columns` values each that one multi-row VALUES statement can bind. */
export function valuesPerStatement(dialect: Dialect, columns: number): number {
  return Math.floor(MAX_PARAMS[dialect] / columns);
}

/**
 * Writes rows `perStatement` at a time: all in one statement when they fit
 * (atomic by itself, and no BEGIN/COMMIT round trips), else the statements
 * in one transaction. All or nothing either way.
 */
export async function writeInChunks<R, T>(
  db: Kysely<Database>,
  location: string,
  rows: readonly R[],
  perStatement: number,
  statement: (db: Kysely<Database>, chunk: readonly R[]) => Promise<T[]>,
): Promise<T[]> {
  if (rows.length === 0) return [];
  if (rows.length <= perStatement) {
    return storeErrors(statement(db, rows));
  }
  return transact(db, location, async (tx) => {
    const out: T[] = [];
    for (let i = 0; i < rows.length; i += perStatement) {
      out.push(...(await statement(tx, rows.slice(i, i + perStatement))));
    }
    return out;
  });
}
