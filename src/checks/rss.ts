import { readFileSync } from "node:fs";
import { z } from "zod";
import { type Check, checkSettings } from "./check.js";

const schema = checkSettings({ period: "30s", timeout: "1s", failures: 1 }).extend({
  /** Resident memory above this is a warning (a later tier restarts it drain-safe). */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(3 * 1024 ** 3),
});

/**
 * Memory: the gateway's resident set (its main process; workers are separate
 * processes with their own budgets). Above `maxBytes`: a warning event.
 */
export const rss: Check<z.output<typeof schema>> = {
  name: "rss",
  effect: "warn",
  schema,
  async run(target, settings) {
    const rssBytes = readRssBytes(target.pid);
    if (rssBytes === null) return { ok: false, message: `no /proc/${target.pid}/status` };
    const mib = Math.round(rssBytes / 1024 ** 2);
    return rssBytes > settings.maxBytes
      ? {
          ok: false,
          message: `RSS ${mib} MiB is above ${Math.round(settings.maxBytes / 1024 ** 2)} MiB`,
          facts: { rssBytes },
        }
      : { ok: true, message: `RSS ${mib} MiB`, facts: { rssBytes } };
  },
};

export function readRssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
