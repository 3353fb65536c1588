/**
 * Progress of long work on stderr, one line a step. On a terminal the current
 * step's line counts its seconds while it runs; elsewhere (logs, CI) each step
 * is one plain line and its time is printed when the next one starts. With
 * `enabled` false (`--json`) nothing is printed.
 */
export interface StepPrinter {
  next(detail: string): void;
  /** Ends the current step; safe to call more than once. */
  end(): void;
  /** Ends the current step as failed (the error is reported by the caller). */
  fail(): void;
}

export function stepPrinter(
  enabled: boolean,
  out: NodeJS.WriteStream = process.stderr,
): StepPrinter {
  let current: { detail: string; started: number } | null = null;
  let ticker: NodeJS.Timeout | undefined;
  const seconds = () => `${Math.round((Date.now() - current!.started) / 1000)}s`;
  const finish = (outcome: "done" | "failed") => {
    if (!current) return;
    clearInterval(ticker);
    if (out.isTTY) out.write(`\r\x1b[2K  ${current.detail}: ${outcome} (${seconds()})\n`);
    else out.write(`  ${outcome} after ${seconds()}\n`);
    current = null;
  };
  return {
    next(detail) {
      if (!enabled) return;
      finish("done");
      current = { detail, started: Date.now() };
      if (!out.isTTY) {
        out.write(`  ${detail}…\n`);
        return;
      }
      out.write(`  ${detail}…`);
      ticker = setInterval(() => out.write(`\r\x1b[2K  ${current!.detail}… ${seconds()}`), 1_000);
      ticker.unref();
    },
    end: () => finish("done"),
    fail: () => finish("failed"),
  };
}
