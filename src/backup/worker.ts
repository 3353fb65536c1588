import { parentPort, workerData } from "node:worker_threads";
import { OpsError, errorMessage } from "../core/errors.js";
import { type CreateBackupOptions, createBackup } from "./create.js";

/**
 * The scheduled backup's worker thread (off-thread.ts): SQLite's backup API
 * copies each database in one step (so that the daemon's own writes cannot
 * restart it), which would hold the daemon's event loop for as long as the
 * copy of a large store takes. One backup per worker; the result is posted back.
 */
const port = parentPort;
if (!port) throw new Error("backup/worker.js runs as a worker thread only");
createBackup(workerData as CreateBackupOptions).then(
  (result) => port.postMessage({ result }),
  (error: unknown) =>
    port.postMessage({
      error: {
        code: error instanceof OpsError ? error.code : "INTERNAL",
        message: errorMessage(error),
      },
    }),
);
