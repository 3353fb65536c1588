import { closeSync, openSync, readSync } from "node:fs";

/** Bytes read from a table at a time; its lines are 150 bytes. */
const CHUNK_BYTES = 64 * 1024;
/** The state column of a listening socket (TCP_LISTEN): no other column can read ` 0A `. */
const LISTEN_STATE = Buffer.from(" 0A ");
const NEWLINE = 0x0a;
const COLON = 0x3a;

/**
 * The inodes of the sockets listening on TCP `port` in a `/proc/net/tcp`-style table
 * (`/proc/net/tcp6` too); empty when the table cannot be read.
 *
 * The table lists every socket of the host, thousands of TIME_WAIT ones while the
 * supervisor probes a large fleet (~150 bytes each): read whole and split into columns, one
 * lookup made a string of several hundred KB (large enough for V8 to keep it in old space
 * when a scavenge caught it alive) and tens of thousands of small ones. This reads it in
 * chunks and looks at the bytes, decoding only the listening line of the port.
 */
export function listeningInodes(table: string, port: number): string[] {
  let fd: number;
  try {
    fd = openSync(table, "r");
  } catch {
    return [];
  }
  const found: string[] = [];
  const portBytes = Buffer.from(`:${port.toString(16).toUpperCase().padStart(4, "0")} `);
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  try {
    let kept = 0;
    for (;;) {
      const read = readSync(fd, buffer, kept, CHUNK_BYTES - kept, null);
      const end = kept + read;
      // Whole lines only; the unfinished last one is carried over to the next read.
      const usable = read === 0 ? end : buffer.lastIndexOf(NEWLINE, end - 1) + 1;
      const view = buffer.subarray(0, usable);
      for (let at = view.indexOf(LISTEN_STATE); at !== -1;) {
        const lineStart = view.lastIndexOf(NEWLINE, at) + 1;
        const lineEnd = view.indexOf(NEWLINE, at);
        const stop = lineEnd === -1 ? usable : lineEnd;
        // `  12: 0100007F:1F90 ...`: the local port follows the line's second colon.
        const localPort = view.indexOf(COLON, view.indexOf(COLON, lineStart) + 1);
        if (
          localPort !== -1 &&
          localPort < at &&
          portBytes.compare(view, localPort, localPort + portBytes.length) === 0
        ) {
          const inode = view.toString("latin1", lineStart, stop).trim().split(/\s+/)[9];
          if (inode) found.push(inode);
        }
        at = lineEnd === -1 ? -1 : view.indexOf(LISTEN_STATE, lineEnd);
      }
      if (read === 0) return found;
      kept = end - usable;
      // A line longer than a chunk cannot be a socket's: drop it rather than loop on it.
      if (kept === CHUNK_BYTES) kept = 0;
      else buffer.copy(buffer, 0, usable, end);
    }
  } catch {
    return found;
  } finally {
    closeSync(fd);
  }
}
