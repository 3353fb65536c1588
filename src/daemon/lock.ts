import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { OpsError } from "../core/errors.js";
import { isPidAlive, readProcStartTime } from "../system/proc.js";

export interface LockOwner {
  pid: number;
  /** /proc start time of the owner, so a recycled pid is not mistaken for it. */
  startTime: number | null;
  startedAt: string;
  http: string;
}

export interface DaemonLock {
  readonly file: string;
  release(): void;
}

export const LOCK_FILE = "clawops.lock";

/**
 * Takes the data dir's single-daemon lock (`O_EXCL` create). A lock whose owner
 * is dead (or whose pid now belongs to another process) is reclaimed. Throws
 * `ALREADY_RUNNING` with the owner's pid otherwise.
 */
export function acquireDaemonLock(dataDir: string, http: string): DaemonLock {
  const file = path.join(dataDir, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    startTime: readProcStartTime(process.pid),
    startedAt: new Date().toISOString(),
    http,
  };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    let fd: number;
    try {
      fd = openSync(file, "wx", 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = readLockOwner(dataDir);
      if (owner && isLockOwnerAlive(owner)) {
        throw new OpsError(
          "ALREADY_RUNNING",
          `another clawops daemon is already running on ${dataDir} (pid ${owner.pid}, since ${owner.startedAt}, http ${owner.http})`,
          { details: { pid: owner.pid, lock: file } },
        );
      }
      // Stale: its owner died without cleaning up.
      unlinkSync(file);
      continue;
    }
    writeSync(fd, `${JSON.stringify(me)}\n`);
    closeSync(fd);
    return {
      file,
      release() {
        const current = readLockOwner(dataDir);
        if (current?.pid === me.pid) unlinkSync(file);
      },
    };
  }
  throw new OpsError("ALREADY_RUNNING", `another clawops took ${file} while this one started`);
}

/** The recorded owner of a data dir's lock, or null when there is none (or it is unreadable). */
export function readLockOwner(dataDir: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(path.join(dataDir, LOCK_FILE), "utf8")) as LockOwner;
  } catch {
    return null;
  }
}

export function isLockOwnerAlive(owner: LockOwner): boolean {
  if (!isPidAlive(owner.pid)) return false;
  const startTime = readProcStartTime(owner.pid);
  return owner.startTime === null || startTime === null || startTime === owner.startTime;
}
