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
