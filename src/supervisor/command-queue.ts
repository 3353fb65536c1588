import type { Logger } from "pino";
import { errorMessage } from "../core/errors.js";

/**
 * One gateway's work, one piece at a time: operators' commands and what the
 * process's news causes (an exit, a timer, a check's verdict). A piece runs
 * after every piece queued before it, whether that one failed or not.
 */
export class CommandQueue {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly log: Logger) {}

  /** Runs `work` after what is queued; rejects with its error. */
  run(work: () => Promise<void> | void): Promise<void> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** For work nobody awaits: a failure is logged, never unhandled. */
  background(work: () => Promise<void> | void): void {
    this.run(work).catch((error: unknown) => {
      this.log.error({ err: errorMessage(error) }, "gateway.supervision_failed");
    });
  }
}
