import { copyFileSync, mkdirSync, renameSync, unlinkSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Bot } from "../../core/bot.js";
import { gatewayLockFiles, isLockHolder, readLock } from "../../drivers/discover.js";
import { isRunningProcess } from "../../system/proc.js";
import { defineAction } from "../action.js";
import { gatewayStopped } from "./lifecycle.js";

/**
 * A gateway lock no gateway holds: its pid is dead, or alive but another
 * program (the pid was reused). OpenClaw reclaims a dead pid's lock itself;
 * a reused one makes it refuse to start with exit 78.
 */
export interface StaleLock {
  file: string;
  pid: number;
  why: "dead" | "reused";
}

/** The bot's gateway locks that no live gateway holds. An unreadable lock is left alone. */
export function findStaleLocks(bot: Bot): StaleLock[] {
  return gatewayLockFiles(bot.stateDir).flatMap((file) => {
    const lock = readLock(file);
    if (!lock || isLockHolder(lock)) return [];
    // A zombie is the dead holder (a killed gateway on its way out), not a reused pid.
    const why = isRunningProcess(lock.pid) ? ("reused" as const) : ("dead" as const);
    return [{ file, pid: lock.pid, why }];
  });
}

export const clearDeadLock = defineAction({
  name: "clear-dead-lock",
  description:
    "move aside the bot's gateway lock files whose pid is dead or reused by another process (archived, not deleted)",
  params: z.strictObject({}),
  async precondition(context) {
    if (findStaleLocks(context.bot).length === 0) return "no stale gateway lock";
    return gatewayStopped(context);
  },
  async execute(context) {
    const stale = findStaleLocks(context.bot);
    const stamp = context.now().toISOString().replace(/[-:.]/g, "");
    const into = path.join(context.archiveDir, `locks-${stamp}`);
    mkdirSync(into, { recursive: true, mode: 0o700 });
    for (const lock of stale) moveFile(lock.file, path.join(into, path.basename(lock.file)));
    const list = stale.map((l) => `${path.basename(l.file)} (pid ${l.pid} ${l.why})`).join(", ");
    return { detail: `moved ${list} to ${into}` };
  },
  async verify(context) {
    const left = findStaleLocks(context.bot);
    return left.length === 0 ? null : `still there: ${left.map((l) => l.file).join(", ")}`;
  },
  deepFix: {
    // OpenClaw reclaims the lock of a dead pid by itself (every SIGKILL leaves one); a
    // pid that some other program now has looks alive to it, and it refuses to start.
    cause(evidence) {
      const reused = evidence.staleLocks.filter((lock) => lock.why === "reused");
      if (reused.length === 0) return null;
      const locks = reused.map((l) => `pid ${l.pid} (${path.basename(l.file)})`).join(", ");
      return `gateway lock held by a reused pid: ${locks}`;
    },
  },
});

/** rename(2), or copy and unlink when the archive is on another file system. */
function moveFile(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    copyFileSync(from, to);
    unlinkSync(from);
  }
}
