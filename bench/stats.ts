/** The nearest-rank `p`th percentile of an ascending, non-empty sample. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Nearest-rank percentiles over a sample of durations in milliseconds. */
export function summarize(samplesMs: readonly number[]) {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (p: number) => percentile(sorted, p);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return {
    n: sorted.length,
    min: round(sorted[0]!),
    p50: round(at(50)),
    p90: round(at(90)),
    p99: round(at(99)),
    max: round(sorted.at(-1)!),
    mean: round(mean),
  };
}

export type Summary = ReturnType<typeof summarize>;

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** One aligned line per measurement: name, n, then the percentiles in ms. */
export function formatRows(rows: readonly (readonly [string, Summary])[]): string {
  const header = ["measurement", "n", "min", "p50", "p90", "p99", "max", "mean"];
  const lines = rows.map(([name, s]) =>
    [name, s.n, s.min, s.p50, s.p90, s.p99, s.max, s.mean].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [fmt(header), ...lines.map(fmt)].join("\n");
}

/** The machine a run happened on, for bench/RESULTS.md. */
export async function machine(): Promise<string> {
  const os = await import("node:os");
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
}
