import {
  closeSync,
  copyFileSync,
  existsSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  truncateSync,
} from "node:fs";
import path from "node:path";

/** `<dataDir>/logs/<bot>.log`: where a supervised gateway's stdout and stderr go. */
export function gatewayLogFile(dataDir: string, botName: string): string {
  return path.join(dataDir, "logs", `${botName}.log`);
}

/**
 * Rotates the log once it is larger than `maxBytes`: `.log` → `.log.1` →
 * ... → `.log.<keep>` (the oldest is overwritten). The live file is copied and
 * truncated rather than renamed, because the gateway holds it open in append
 * mode and keeps writing at the new end. Returns true when it rotated.
 */
export function rotateLog(file: string, maxBytes: number, keep: number): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  for (let n = keep - 1; n >= 1; n--) {
    const from = `${file}.${n}`;
    if (existsSync(from)) renameSync(from, `${file}.${n + 1}`);
  }
  copyFileSync(file, `${file}.1`);
  truncateSync(file, 0);
  return true;
}

/** The last `lines` lines of a file (reading at most its last 64 KiB); empty when unreadable. */
export function tailLines(file: string, lines: number): string[] {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return [];
  }
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString("utf8").replace(/\n+$/, "");
    return text === "" ? [] : text.split("\n").slice(-lines);
  } finally {
    closeSync(fd);
  }
}

/** A page of a log file read after a byte cursor (`readLogAfter`). */
export interface LogPage {
  lines: string[];
  /** Where the next read starts: past the last whole line returned. */
  cursor: number;
  /** The file was rotated or truncated since `cursor`: the lines start again at its beginning. */
  reset: boolean;
  /** Lines between the cursor and these were skipped (more than `maxBytes` was new). */
  truncated: boolean;
}

/**
 * The whole lines of `file` after byte `cursor` (null: the last `maxBytes`), at most `maxBytes`
 * of them, the newest kept. A cursor past the end means the file was rotated (copied and
 * truncated, `rotateLog`): reading starts again at 0. A line still being written is left for
 * the next read. A missing file is an empty page at cursor 0.
 */
export function readLogAfter(file: string, cursor: number | null, maxBytes = 64 * 1024): LogPage {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return { lines: [], cursor: 0, reset: cursor !== null && cursor > 0, truncated: false };
  }
  try {
    const size = statSync(file).size;
    const reset = cursor !== null && cursor > size;
    const from = cursor === null || reset ? Math.max(0, size - maxBytes) : cursor;
    const start = Math.max(from, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    readSync(fd, buffer, 0, buffer.length, start);
    const end = buffer.lastIndexOf(0x0a) + 1;
    let text = buffer.subarray(0, end).toString("utf8");
    // Started mid-file: the first line is a fragment of one.
    const skippedPart = start > 0 && (cursor === null || reset || start > from);
    if (skippedPart) text = text.slice(text.indexOf("\n") + 1);
    const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
    return { lines, cursor: start + end, reset, truncated: start > from };
  } finally {
    closeSync(fd);
  }
}
