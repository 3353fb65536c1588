import { statfsSync } from "node:fs";
import path from "node:path";
import { OpsError, errorMessage } from "../core/errors.js";

/** Less free space than this under a SQLite file: writes are about to fail (WAL, checkpoints). */
const MIN_FREE_BYTES = 1024 * 1024;

/** "N KiB free under FILE" when the file system of `file` has (almost) no room left; else null. */
export function lowDiskSpace(file: string): string | null {
  try {
    const fs = statfsSync(path.dirname(file));
    const free = fs.bavail * fs.bsize;
    return free < MIN_FREE_BYTES ? `${Math.round(free / 1024)} KiB free under ${file}` : null;
  } catch {
    return null;
  }
}

/**
 * SQLite rolls a transaction back by itself on a full disk (or an I/O error),
 * so the ROLLBACK Kysely sends after a failed COMMIT fails with "cannot
 * rollback - no transaction is active" and hides the cause: name it.
 */
export function abortedTransaction(error: unknown, file: string): unknown {
  if (!/cannot rollback - no transaction is active/.test(errorMessage(error))) return error;
  const low = lowDiskSpace(file);
  if (low) return diskFull(low, error);
  return new OpsError(
    "STORE_UNREACHABLE",
    "the store aborted the write (SQLite: a full disk, an I/O error or no memory): nothing was written",
    { retryable: true, cause: error, details: { reason: "aborted" } },
  );
}

/**
 * A store failure the operator must act on, said plainly: a full disk
 * (SQLite's SQLITE_FULL, the OS's ENOSPC, PostgreSQL's 53100) is
 * STORE_UNREACHABLE (exit 2, HTTP 503) naming it, not an internal error.
 * Anything else comes back unchanged.
 */
export function asStoreError(error: unknown): unknown {
  if (error instanceof OpsError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = errorMessage(error);
  if (
    code === "SQLITE_FULL" ||
    code === "ENOSPC" ||
    code === "53100" ||
    /database or disk is full|no space left on device/i.test(message)
  ) {
    return diskFull(typeof code === "string" ? code : message, error);
  }
  return error;
}

/** The one wording of a full disk under the store, `what` naming how it showed. */
function diskFull(what: string, cause: unknown): OpsError {
  return new OpsError(
    "STORE_UNREACHABLE",
    `the store's disk is full (${what}): nothing was written; free space and try again`,
    { retryable: true, cause, details: { reason: "disk_full" } },
  );
}

/** SQLite's or PostgreSQL's unique-constraint failure (a second row of one key written at once). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === "SQLITE_CONSTRAINT_UNIQUE" ||
    code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
    code === "23505"
  );
}

/** SQLite's or PostgreSQL's foreign-key failure (a row naming one that does not exist). */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_FOREIGNKEY" || code === "23503";
}
