import * as hdr from "hdr-histogram-js";

/** Percentiles of one latency, in milliseconds (microsecond resolution underneath). */
export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Values are microseconds up to an hour: 3 significant digits keeps ~0.1 % error at any size. */
const HIGHEST_US = 3_600_000_000;

/**
 * An HDR histogram of latencies. Recording is O(1) and its memory is fixed
 * (~190 KB) however many values go in: a long ramp at thousands of messages a
 * second keeps no list of samples.
 */
export class LatencyHistogram {
  private readonly histogram = hdr.build({
    bitBucketSize: 64,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  recordMs(ms: number): void {
    this.histogram.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1_000))));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The value at a percentile (0-100) in ms, or null when nothing was recorded. */
  percentileMs(p: number): number | null {
    return this.count === 0 ? null : toMs(this.histogram.getValueAtPercentile(p));
  }

  summary(): LatencySummary | null {
    if (this.count === 0) return null;
    const h = this.histogram;
    // A percentile is its bucket's upper bound: never past the largest value seen.
    const at = (p: number) => toMs(Math.min(h.getValueAtPercentile(p), h.maxValue));
    return {
      count: h.totalCount,
      min: toMs(h.minNonZeroValue),
      p50: at(50),
      p90: at(90),
      p95: at(95),
      p99: at(99),
      max: toMs(h.maxValue),
      mean: toMs(h.mean),
    };
  }
}

function toMs(us: number): number {
  return Math.round(us) / 1_000;
}
