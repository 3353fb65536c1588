import { OpsError, errorMessage } from "../core/errors.js";

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
