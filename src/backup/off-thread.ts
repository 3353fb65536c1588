import { Worker } from "node:worker_threads";
import { OpsError, type OpsErrorCode } from "../core/errors.js";
import type { BackupResult, CreateBackupOptions } from "./create.js";

type Reply = { result: BackupResult } | { error: { code: OpsErrorCode; message: string } };

/**
 * `createBackup` in a worker thread of its own, for the daemon: the copies
 * and checksums run away from its event loop. Options must be plain data
 * (no `progress`, no `now`). Rejects with the worker's `OpsError`.
 */
export function createBackupOffThread(
  options: Omit<CreateBackupOptions, "progress" | "now">,
): Promise<BackupResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerEntry(), { workerData: options });
    let settled = false;
    worker.once("message", (reply: Reply) => {
      settled = true;
      if ("result" in reply) resolve(reply.result);
      else reject(new OpsError(reply.error.code, reply.error.message));
      void worker.terminate();
    });
    worker.once("error", (error) => {
      if (!settled) reject(new OpsError("INTERNAL", `backup worker failed: ${error.message}`));
      settled = true;
    });
    worker.once("exit", (code) => {
      if (!settled)
        reject(new OpsError("INTERNAL", `backup worker exited ${code} without a result`));
    });
  });
}

/** The compiled worker: beside this file in dist/, or dist/'s copy when running from src/ (tests). */
function workerEntry(): URL {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new URL("./worker.js", here);
  return new URL("./worker.js", here.replace(/\/src\/backup\/[^/]+$/, "/dist/backup/"));
}
