import { statSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { OpsError, type OpsErrorCode } from "../core/errors.js";
import { DoctorChecker, type DoctorRequest, type DoctorRunner } from "./checker.js";
import type { DoctorReport } from "./run-doctor.js";

type Reply =
  | { id: number; report: DoctorReport }
  | { id: number; error: { code: OpsErrorCode; message: string } };

interface Pending {
  resolve(report: DoctorReport): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface DoctorThreadOptions {
  /** A run that takes longer is abandoned and the worker replaced (a safety net, not a latency bound). */
  deadlineMs: number;
  /** An idle worker is ended after this long; the next run starts a new one. */
  idleMs?: number;
  log: Logger;
}

/**
 * Runs the doctor in a worker thread, so that a large config's parse, the
 * schema's compile and the rules never stall the daemon's event loop (a
 * 1 MiB config takes ~250 ms to parse; the schema ~350 ms to read and
 * compile). The syntax tree stays in the worker: only the report, plain
 * data of a few KB, crosses back.
 */
export class DoctorThread implements DoctorRunner {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: DoctorThreadOptions) {}

  run(request: DoctorRequest): Promise<DoctorReport> {
    const worker = this.ensureWorker();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    worker.ref();
    const id = this.nextId++;
    return new Promise<DoctorReport>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replaceWorker(
          new OpsError(
            "TIMEOUT",
            `the doctor did not finish within ${Math.round(this.options.deadlineMs / 1000)} s (its worker was restarted)`,
            { retryable: true },
          ),
        );
      }, this.options.deadlineMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, request });
    });
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.failAll(new OpsError("UNAVAILABLE", "the doctor is shutting down", { retryable: true }));
    this.worker = null;
    await worker?.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerEntry());
    worker.on("message", (reply: Reply) => this.settle(reply));
    worker.on("error", (error) => {
      this.options.log.error({ err: error }, "doctor.worker_failed");
      if (this.worker === worker) this.replaceWorker(error);
    });
    worker.on("exit", (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(new OpsError("INTERNAL", `the doctor's worker exited (code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private settle(reply: Reply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    clearTimeout(pending.timer);
    if ("report" in reply) pending.resolve(reply.report);
    else pending.reject(new OpsError(reply.error.code, reply.error.message));
    if (this.pending.size === 0) this.idle();
  }

  /** No run waits: the worker no longer keeps the process alive, and ends after `idleMs`. */
  private idle(): void {
    const worker = this.worker;
    if (!worker) return;
    worker.unref();
    this.idleTimer = setTimeout(
      () => {
        if (this.worker !== worker || this.pending.size > 0) return;
        this.worker = null;
        void worker.terminate();
      },
      this.options.idleMs ?? 5 * 60_000,
    );
    this.idleTimer.unref();
  }

  private replaceWorker(error: Error): void {
    const worker = this.worker;
    this.worker = null;
    this.failAll(error);
    void worker?.terminate();
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}

/**
 * Configs at least this large are checked in the worker; smaller ones (every
 * real config is a few KB: parsed in well under a millisecond) in the
 * calling thread, so that a daemon whose configs are all small never pays
 * for a second JavaScript heap (~50 MB resident).
 */
export const OFF_THREAD_BYTES = 64 * 1024;

/**
 * The daemon's doctor: a config of `OFF_THREAD_BYTES` or more goes to the
 * worker thread, anything smaller runs here. Same checker, same report.
 */
export class DoctorRouter implements DoctorRunner {
  private readonly inline = new DoctorChecker();
  private readonly thread: DoctorThread;

  constructor(options: DoctorThreadOptions) {
    this.thread = new DoctorThread(options);
  }

  run(request: DoctorRequest): Promise<DoctorReport> {
    return configBytes(request.target.configFile) >= OFF_THREAD_BYTES
      ? this.thread.run(request)
      : this.inline.run(request);
  }

  async close(): Promise<void> {
    await Promise.all([this.inline.close(), this.thread.close()]);
  }
}

/** The config's size; 0 when it cannot be read (the checker reports why, cheaply, here). */
function configBytes(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * The worker's built file. Under vitest or tsx this module is the TypeScript
 * source, and Node 20 cannot load TypeScript in a worker: the copy that
 * `npm run build` made runs instead (the tests' global setup builds it).
 */
function workerEntry(): URL {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new URL("./worker.js", here);
  return new URL("./worker.js", here.replace(/\/src\/doctor\/[^/]+$/, "/dist/doctor/"));
}
