import { readdirSync, readlinkSync } from "node:fs";
import path from "node:path";
import type { Bot } from "../core/bot.js";
import { readText } from "../system/files.js";
import {
  findTcpListener,
  isSameLiveProcess,
  readCmdline,
  readProcStartTime,
} from "../system/proc.js";

/** A gateway process found running for a bot, and how it was recognised. */
export interface RunningGateway {
  pid: number;
  startTime: number;
  via: "lock" | "port";
  cmdline: string | null;
}

/**
 * Finds the gateway already running for `bot`: first through OpenClaw's own
 * lock files (`<stateDir>/tmp/openclaw-<uid>/gateway.*.lock`, whose pid and
 * start time are checked against /proc), then through the listener on the
 * bot's port. A listener counts only when it runs on this bot's state dir
 * (its OPENCLAW_STATE_DIR or working directory), unless `anyGatewayOnPort`
 * accepts any process that looks like an OpenClaw gateway.
 */
export function findRunningGateway(
  bot: Bot,
  options: { anyGatewayOnPort?: boolean } = {},
): RunningGateway | null {
  const fromLock = findByLock(bot.stateDir, bot.port);
  if (fromLock) return fromLock;
  const listener = findTcpListener(bot.port);
  if (!listener?.pid) return null;
  const startTime = readProcStartTime(listener.pid);
  if (startTime === null) return null;
  const ours = processStateDir(listener.pid) === path.resolve(bot.stateDir);
  const looksLikeGateway =
    looksLikeOpenClaw(listener.cmdline) || /\bgateway run\b/.test(listener.cmdline ?? "");
  if (!ours && !(options.anyGatewayOnPort && looksLikeGateway)) return null;
  return { pid: listener.pid, startTime, via: "port", cmdline: listener.cmdline };
}

function findByLock(stateDir: string, port: number): RunningGateway | null {
  for (const file of gatewayLockFiles(stateDir)) {
    const lock = readLock(file);
    // A lock of a dead or reused pid is stale (the next gateway reclaims it); one on
    // another port is another bot's gateway sharing this state dir.
    if (!lock || !isLockHolder(lock)) continue;
    if (lock.port === null || lock.port === port) {
      return {
        pid: lock.pid,
        startTime: lock.startTime,
        via: "lock",
        cmdline: readCmdline(lock.pid),
      };
    }
  }
  return null;
}

/** OPENCLAW_STATE_DIR in a running process's environment; null when absent or unreadable. */
export function environStateDir(pid: number): string | null {
  try {
    const environ = readText(`/proc/${pid}/environ`).split("\0");
    const entry = environ.find((e) => e.startsWith("OPENCLAW_STATE_DIR="));
    return entry ? path.resolve(entry.slice("OPENCLAW_STATE_DIR=".length)) : null;
  } catch {
    return null; // Not ours to read.
  }
}

/**
 * True when the lock's pid is alive, is the process that took the lock (same
 * start time), and is an OpenClaw gateway. OpenClaw itself checks only pid and
 * start time: a lock naming a reused pid that some other program now has
 * makes it refuse to start (exit 78, "Another gateway (pid N) already owns
 * this state directory").
 */
export function isLockHolder(lock: { pid: number; startTime: number }): boolean {
  if (!isSameLiveProcess(lock.pid, lock.startTime)) return false;
  // A command line this user cannot read proves nothing: such a lock is taken as held.
  const cmdline = readCmdline(lock.pid);
  return cmdline === null || looksLikeOpenClaw(cmdline);
}

/** A gateway renames its process `openclaw-gateway`; a CLI-run one has `openclaw` in its argv. */
export function looksLikeOpenClaw(cmdline: string | null): boolean {
  return /openclaw/i.test(cmdline ?? "");
}

/** OpenClaw's gateway lock files of a state dir: `<stateDir>/tmp/openclaw-<uid>/gateway.*.lock`. */
export function gatewayLockFiles(stateDir: string): string[] {
  const tmp = path.join(stateDir, "tmp");
  let dirs: string[];
  try {
    dirs = readdirSync(tmp).filter((name) => /^openclaw(-\d+)?$/.test(name));
  } catch {
    return [];
  }
  return dirs.flatMap((dir) => {
    try {
      return readdirSync(path.join(tmp, dir))
        .filter((f) => /^gateway\..+\.lock$/.test(f))
        .map((f) => path.join(tmp, dir, f));
    } catch {
      return [];
    }
  });
}

/** The lock holds one JSON object followed by whitespace padding. */
export function readLock(
  file: string,
): { pid: number; startTime: number; port: number | null } | null {
  try {
    const text = readText(file);
    const end = text.lastIndexOf("}");
    const value = JSON.parse(text.slice(0, end + 1)) as {
      pid?: unknown;
      startTime?: unknown;
      port?: unknown;
    };
    if (typeof value.pid !== "number" || typeof value.startTime !== "number") return null;
    const port = typeof value.port === "number" ? value.port : null;
    return { pid: value.pid, startTime: value.startTime, port };
  } catch {
    return null;
  }
}

/** OPENCLAW_STATE_DIR of a running process, or else its working directory. */
function processStateDir(pid: number): string | null {
  const fromEnv = environStateDir(pid);
  if (fromEnv) return fromEnv;
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}
