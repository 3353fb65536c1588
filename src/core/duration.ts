import { z } from "zod";
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Parses a human duration (`"250ms"`, `"30s"`, `"5m"`, `"1.5h"`, `"1d"`, or a
 * plain number of milliseconds) into milliseconds. Returns `undefined` when the
 * text is not a duration, so callers can report where it came from.
 */
export function resolveDurationMs(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const match = DURATION.exec(trimmed);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
}

/** Renders milliseconds compactly for people: `850ms`, `12.3s`, `4m05s`, `2h10m`. */
export function formatDurationMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const totalSeconds = Math.floor(ms / 1_000);
  if (ms < 3_600_000) {
    return `${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, "0")}s`;
  }
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (ms < 86_400_000) {
    return `${Math.floor(totalMinutes / 60)}h${String(totalMinutes % 60).padStart(2, "0")}m`;
  }
  return `${Math.floor(totalMinutes / 1440)}d${String(Math.floor((totalMinutes % 1440) / 60)).padStart(2, "0")}h`;
}

/** A duration in config: `"30s"`, `"5m"`, `"250ms"` or a number of milliseconds. Parses to ms. */
export function duration(defaultValue: string) {
  return z
    .union([z.string(), z.number()], { error: 'expected a duration such as "30s" or "5m"' })
    .default(defaultValue)
    .transform((value, ctx) => {
      const ms = resolveDurationMs(value);
      if (ms === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `expected a duration such as "30s" or "5m", got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return ms;
    });
}

/**
 * A `--since` value as an ISO 8601 time: a duration back from `now`
 * (`"24h"`, `"7d"`) or a date or time (`"2026-11-01"`). Undefined when it is neither.
 */
export function resolveSince(value: string, now = Date.now()): string | undefined {
  const back = /^\d+$/.test(value.trim()) ? undefined : resolveDurationMs(value);
  if (back !== undefined) return new Date(now - back).toISOString();
  if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim())) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}
