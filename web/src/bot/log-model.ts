/** The log tail keeps at most this many lines on screen. */
export const LOG_KEEP = 1000;

/** A page of `GET /api/v1/bots/:name/logs`. */
export interface LogPage {
  lines: string[];
  cursor: number;
  reset: boolean;
  truncated: boolean;
}

/**
 * The tail after a page: its lines appended, the oldest dropped past `keep`;
 * after a rotation (`reset`) a marker line says the file started again.
 */
export function appendLog(shown: readonly string[], page: LogPage, keep = LOG_KEEP): string[] {
  const marker = page.reset ? ["— the log was rotated —"] : page.truncated ? ["— skipped —"] : [];
  const next = [...shown, ...(shown.length > 0 ? marker : []), ...page.lines];
  return next.length > keep ? next.slice(next.length - keep) : next;
}

/** Terminal colours: the gateway colours its output even into a file. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, "g");

/** How a line reads: OpenClaw's JSON log lines as time, level and message; others as they are. */
export function logLine(raw: string): { time: string | null; level: string | null; text: string } {
  const line = raw.replace(ANSI, "");
  if (line.startsWith("{")) {
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      const text = [record.msg, record.message, record["0"], record["1"]].find(
        (v) => typeof v === "string",
      );
      if (typeof text === "string") {
        const time = typeof record.time === "string" ? record.time : null;
        const meta = record._meta as { logLevelName?: unknown } | undefined;
        const level = [record.level, meta?.logLevelName].find((v) => typeof v === "string");
        return { time, level: typeof level === "string" ? level.toLowerCase() : null, text };
      }
    } catch {
      // A line that only looks like JSON.
    }
  }
  return { time: null, level: null, text: line };
}
