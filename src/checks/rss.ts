import { z } from "zod";
import { duration } from "../core/duration.js";
import { readText } from "../system/files.js";
import { type Check, checkSettings } from "./check.js";

const MIB = 1024 ** 2;

const schema = checkSettings({ period: "30s", timeout: "1s", failures: 1 }).extend({
  /** Resident memory above this is a warning (a later tier restarts it drain-safe). */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(3 * 1024 * MIB),
  /** Growth faster than this (bytes per hour, least squares over `slopeWindow`) is a warning: a leak. */
  maxGrowthPerHour: z
    .number()
    .int()
    .positive()
    .default(512 * MIB),
  slopeWindow: duration("30m"),
  /** Samples needed inside the window before the slope is judged. */
  minSamples: z.number().int().min(3).default(10),
});

/**
 * Memory: the gateway's resident set (its main process; workers are separate
 * processes with their own budgets). Above `maxBytes`, or growing faster than
 * `maxGrowthPerHour`: a warning event.
 */
export const rss: Check<z.output<typeof schema>> = {
  name: "rss",
  effect: "warn",
  schema,
  async run(target, settings, _signal, history) {
    const rssBytes = readRssBytes(target.pid);
    if (rssBytes === null) return { ok: false, message: `no /proc/${target.pid}/status` };
    const facts = { rssBytes };
    const mib = Math.round(rssBytes / MIB);
    if (rssBytes > settings.maxBytes) {
      const limit = Math.round(settings.maxBytes / MIB);
      return { ok: false, message: `RSS ${mib} MiB is above ${limit} MiB`, facts };
    }
    const now = Date.now();
    const samples = [
      ...history.flatMap(({ atMs, outcome }) =>
        outcome.facts?.rssBytes !== undefined && now - atMs <= settings.slopeWindow
          ? [{ atMs, bytes: outcome.facts.rssBytes }]
          : [],
      ),
      { atMs: now, bytes: rssBytes },
    ];
    const slope = samples.length >= settings.minSamples ? resolveSlopePerHour(samples) : null;
    if (slope !== null && slope > settings.maxGrowthPerHour) {
      return {
        ok: false,
        message: `RSS ${mib} MiB, growing ${Math.round(slope / MIB)} MiB/h over the last ${samples.length} samples`,
        facts,
      };
    }
    return { ok: true, message: `RSS ${mib} MiB`, facts };
  },
};

/** Least-squares slope of `bytes` over time, in bytes per hour; null without spread in time. */
export function resolveSlopePerHour(
  samples: readonly { atMs: number; bytes: number }[],
): number | null {
  const n = samples.length;
  const meanT = samples.reduce((sum, s) => sum + s.atMs, 0) / n;
  const meanB = samples.reduce((sum, s) => sum + s.bytes, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.atMs - meanT) * (s.bytes - meanB);
    den += (s.atMs - meanT) ** 2;
  }
  return den === 0 ? null : (num / den) * 3_600_000;
}

export function readRssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readText(`/proc/${pid}/status`));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
