import { readdirSync, readlinkSync } from "node:fs";
import { readText } from "./files.js";
import { listeningInodes } from "./tcp-table.js";

/** True when a process with this pid exists (it may belong to another user). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pids in /proc (empty when /proc is unavailable). */
export function listPids(): number[] {
  try {
    return readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

export interface ProcStat {
  /** One letter, of the main thread: R running, S sleeping, D in disk I/O, T/t stopped, Z zombie. */
  state: string;
  pgid: number;
  /** Clock ticks since boot (field 22). */
  startTime: number;
  /**
   * CPU time the process has used, every thread summed: utime + stime (fields 14 and 15), in
   * clock ticks (10 ms). It only grows while some thread runs.
   */
  cpuTicks: number;
}

/** Fields of /proc/PID/stat that clawops uses; null when the process is gone or /proc is unavailable. */
export function readProcStat(pid: number): ProcStat | null {
  try {
    const stat = readText(`/proc/${pid}/stat`);
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pgid = Number(fields[2]);
    const startTime = Number(fields[19]);
    const cpuTicks = Number(fields[11]) + Number(fields[12]);
    if (!fields[0] || ![pgid, startTime, cpuTicks].every(Number.isFinite)) return null;
    return { state: fields[0], pgid, startTime, cpuTicks };
  } catch {
    return null;
  }
}

/**
 * True when `pid` is a process that still runs: neither gone nor a zombie (a
 * killed process waiting for its reaper, or a killed multithreaded one whose
 * main thread has exited while another thread still does).
 */
export function isRunningProcess(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== null && stat.state !== "Z";
}

/**
 * The process start time in clock ticks since boot (field 22 of /proc/PID/stat):
 * with the pid it identifies one process for good, guarding against pid reuse.
 * Null when the process is gone or /proc is unavailable.
 */
export function readProcStartTime(pid: number): number | null {
  return readProcStat(pid)?.startTime ?? null;
}

/** Linux's USER_HZ: /proc times are in these ticks (100 on every mainstream architecture). */
const TICKS_PER_SECOND = 100;

/** When `pid` started, from its /proc start time and the boot time; null when it is gone. */
export function processStartedAt(pid: number): Date | null {
  const ticks = readProcStartTime(pid);
  if (ticks === null) return null;
  try {
    const boot = /^btime (\d+)$/m.exec(readText("/proc/stat"))?.[1];
    return boot ? new Date(Number(boot) * 1000 + (ticks * 1000) / TICKS_PER_SECOND) : null;
  } catch {
    return null;
  }
}

/** Pids of running (not zombie) processes in a process group. */
export function liveGroupMembers(pgid: number): number[] {
  return listPids().filter((pid) => {
    const stat = readProcStat(pid);
    return stat !== null && stat.pgid === pgid && stat.state !== "Z";
  });
}

/** The command line of a process, arguments joined by spaces; null when unreadable. */
export function readCmdline(pid: number): string | null {
  try {
    const raw = readText(`/proc/${pid}/cmdline`);
    return raw.split("\0").filter(Boolean).join(" ") || null;
  } catch {
    return null;
  }
}

export interface Listener {
  port: number;
  /** Null when the socket's owner is not visible to this user. */
  pid: number | null;
  cmdline: string | null;
  /** The listening socket's inode, known even when its owner is not. */
  inode: string;
  /** The owner's file descriptor for the listening socket, and the socket's inode. */
  socket: ListeningSocket | null;
}

export interface ListeningSocket {
  pid: number;
  fd: number;
  inode: string;
}

/**
 * The process listening on TCP `port` (any address), found through the
 * socket's inode in /proc. `likelyPids` are looked at first, which makes the
 * common "is it still my gateway?" question cheap.
 */
export function findTcpListener(port: number, likelyPids: readonly number[] = []): Listener | null {
  // Gateways listen on IPv4 loopback: the IPv6 table is read only when IPv4 has no listener.
  let found = listeningInodes("/proc/net/tcp", port);
  if (found.length === 0) found = listeningInodes("/proc/net/tcp6", port);
  const inodes = new Set(found);
  if (inodes.size === 0) return null;
  const owner = findSocketOwner(inodes, likelyPids);
  if (!owner) return { port, pid: null, cmdline: null, inode: [...inodes][0]!, socket: null };
  const { pid, socket } = owner;
  return { port, pid, cmdline: readCmdline(pid), inode: socket.inode, socket };
}

/**
 * True while the process that held `socket` still holds it (one readlink):
 * then nothing else can be listening on its port. Reading /proc/net/tcp costs
 * in proportion to every socket on the host; this is the cheap check between scans.
 */
export function holdsSocket(socket: ListeningSocket): boolean {
  try {
    return readlinkSync(`/proc/${socket.pid}/fd/${socket.fd}`) === `socket:[${socket.inode}]`;
  } catch {
    return false;
  }
}

function findSocketOwner(
  inodes: ReadonlySet<string>,
  likelyPids: readonly number[],
): { pid: number; socket: ListeningSocket } | null {
  for (const pid of [...likelyPids, ...listPids()]) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const match = /^socket:\[(\d+)\]$/.exec(target);
        if (match && inodes.has(match[1]!))
          return { pid, socket: { pid, fd: Number(fd), inode: match[1]! } };
      } catch {
        // The fd closed while we looked.
      }
    }
  }
  return null;
}

/** "pid 123 (node server.js)" or a fallback when the owner is unknown. */
export function describeListener(listener: Listener): string {
  if (listener.pid === null) return "a process this user cannot see";
  return `pid ${listener.pid}${listener.cmdline ? ` (${listener.cmdline})` : ""}`;
}

/**
 * True when `listener` is the process `pid` or one in its process group (a
 * gateway may serve from a worker it spawned). An unknown owner is not ours.
 */
export function isListenerOf(listener: Listener, pid: number): boolean {
  if (listener.pid === null) return false;
  return listener.pid === pid || readProcStat(listener.pid)?.pgid === pid;
}

/**
 * True when `pid` is still the process that had `startTime`, and alive: not
 * gone, not reused by another process, not a zombie waiting for a reaper
 * (a gateway whose parent clawops died is reaped by whatever adopted it, if anything).
 */
export function isSameLiveProcess(pid: number, startTime: number): boolean {
  const stat = readProcStat(pid);
  return stat !== null && stat.startTime === startTime && stat.state !== "Z";
}
