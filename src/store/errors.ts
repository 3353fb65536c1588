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
  return new OpsError(
    "STORE_UNREACHABLE",
    low
      ? `the store's disk is full (${low}): nothing was written; free space and try again`
      : `the store aborted the write (SQLite: a full disk, an I/O error or no memory): nothing was written`,
    { retryable: true, cause: error, details: { reason: low ? "disk_full" : "aborted" } },
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
    return new OpsError(
      "STORE_UNREACHABLE",
      `the store's disk is full (${typeof code === "string" ? code : message}): nothing was written; free space and try again`,
      { retryable: true, cause: error, details: { reason: "disk_full" } },
    );
  }
  return error;
}
