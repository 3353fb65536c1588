import { parentPort } from "node:worker_threads";
import { OpsError, errorMessage } from "../core/errors.js";
import { DoctorChecker, type DoctorRequest } from "./checker.js";

/**
 * The doctor's worker thread (see off-thread.ts): parses configs and runs the
 * rules away from the daemon's event loop. One message in, one out, matched
 * by id; runs may overlap while they wait for the openclaw CLI.
 */
const port = parentPort;
if (!port) throw new Error("doctor/worker.js runs as a worker thread only");
const checker = new DoctorChecker();
port.on("message", ({ id, request }: { id: number; request: DoctorRequest }) => {
  checker.run(request).then(
    (report) => port.postMessage({ id, report }),
    (error: unknown) =>
      port.postMessage({
        id,
        error: {
          code: error instanceof OpsError ? error.code : "INTERNAL",
          message: errorMessage(error),
        },
      }),
  );
});
