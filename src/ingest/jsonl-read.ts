import { createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import type { MessageRecord } from "../core/session.js";
import { type SessionMetaUpdate, type SkipReason, parseJsonlLine } from "./jsonl.js";

/**
 * Reads one transcript file from a saved position to its last complete line,
 * in batches (jsonl-tailer.ts follows a folder of them). A last line without
 * its newline is left for the next read: the position only ever ends after a
 * newline, so nothing is held in memory between reads and a restart loses
 * nothing.
 */

/** How far a file was read; saved after each batch reached the sink. */
export interface TailPosition {
  /** Bytes consumed: the end of the last complete line handed over. */
  offset: number;
  /** Lines consumed: the next line's number, hence its seq. */
  line: number;
  /** The file's size when this was saved. */
  size: number;
  /** The file's inode: another one under the same name is a replaced file, read again from 0. */
  inode?: number;
  /**
   * A hash of the bytes just before `offset`: when they differ, the file was
   * rewritten in place (same inode, the lines before the offset changed) and
   * is read again from 0.
   */
  fingerprint?: string;
}

export type RereadReason = "truncated" | "replaced" | "rewritten";

/** Lines `[firstLine, position.line)` of one transcript, parsed. */
export interface JsonlBatch {
  botId: string;
  /** From the file name (`<sessionId>.jsonl[.reset|.deleted.<ts>]`). */
  sessionId: string;
  /** The file's name inside the sessions folder. */
  file: string;
  /** The transcript was archived by a reset or delete on the gateway. */
  archived: "reset" | "deleted" | null;
  /**
   * Set on the first batch after the file turned out truncated, replaced or
   * rewritten: this batch starts again at line 0, and lines the store holds
   * past the new end may no longer exist.
   */
  reread: RereadReason | null;
  firstLine: number;
  records: MessageRecord[];
  meta: SessionMetaUpdate[];
  /** Lines that gave no record or meta, by reason. */
  skipped: Partial<Record<SkipReason, number>>;
  /** The skipped lines that look wrong (not merely ignored types), the first few of the batch. */
  problems: { seq: number; reason: SkipReason; detail: string | null }[];
  position: TailPosition;
}

export interface ReadFileOptions {
  botId: string;
  maxBatchRecords: number;
  readChunkBytes: number;
  maxLineBytes: number;
}

export interface ReadTarget {
  sessionId: string;
  archived: "reset" | "deleted" | null;
  file: string;
  /** Deliver a batch even when no line is new. */
  announce: boolean;
  /** Hands a batch over; resolves once it is stored and its position saved. */
  deliver: (batch: JsonlBatch) => Promise<void>;
  /** Nothing new to hand over: where the file stands. */
  settled: (position: TailPosition, mtimeMs: number) => void;
}

const START: TailPosition = { offset: 0, line: 0, size: 0 };
const FINGERPRINT_BYTES = 256;
const MAX_PROBLEMS = 20;
const NOT_PROBLEMS: ReadonlySet<SkipReason> = new Set(["empty", "ignored-type"]);

export async function readTranscript(
  fullPath: string,
  from: TailPosition | null,
  options: ReadFileOptions,
  target: ReadTarget,
): Promise<void> {
  const handle = await open(fullPath, "r");
  try {
    const info = await handle.stat();
    let start = from ?? START;
    let reread: RereadReason | null = null;
    if (from) {
      if (from.inode !== undefined && from.inode !== info.ino) reread = "replaced";
      else if (info.size < from.offset) reread = "truncated";
      else if (!(await sameFingerprint(handle, from))) reread = "rewritten";
      if (reread) start = START;
    }
    const fallbackAt = info.mtime.toISOString();
    const newBatch = (first: TailPosition, why: RereadReason | null): JsonlBatch => ({
      botId: options.botId,
      sessionId: target.sessionId,
      file: target.file,
      archived: target.archived,
      reread: why,
      firstLine: first.line,
      records: [],
      meta: [],
      skipped: {},
      problems: [],
      position: first,
    });
    let batch = newBatch(start, reread);
    let delivered = start;
    let line = start.line;
    let consumed = start.offset;
    const flush = async () => {
      batch.position = {
        offset: consumed,
        line,
        size: info.size,
        inode: info.ino,
        fingerprint: await fingerprintAt(handle, consumed),
      };
      await target.deliver(batch);
      delivered = batch.position;
      batch = newBatch(delivered, null);
    };
    const take = (text: string | null) => {
      const parsed =
        text === null
          ? ({ kind: "skipped", reason: "line-too-large", detail: null } as const)
          : parseJsonlLine(text, {
              botId: options.botId,
              sessionId: target.sessionId,
              seq: line,
              fallbackAt,
            });
      if (parsed.kind === "message") batch.records.push(parsed.record);
      else if (parsed.kind === "meta") batch.meta.push(parsed.update);
      else {
        batch.skipped[parsed.reason] = (batch.skipped[parsed.reason] ?? 0) + 1;
        if (!NOT_PROBLEMS.has(parsed.reason) && batch.problems.length < MAX_PROBLEMS)
          batch.problems.push({ seq: line, reason: parsed.reason, detail: parsed.detail });
      }
      line += 1;
    };

    // Bytes of the line being assembled across chunks; `oversized` once it passed the limit
    // (then only its end is looked for, not its bytes kept).
    let carry: Buffer[] = [];
    let carryBytes = 0;
    let oversized = false;
    let readAt = start.offset;
    const chunk = Buffer.allocUnsafe(options.readChunkBytes);
    while (readAt < info.size) {
      const { bytesRead } = await handle.read(
        chunk,
        0,
        Math.min(chunk.length, info.size - readAt),
        readAt,
      );
      if (bytesRead === 0) break;
      const chunkStart = readAt;
      readAt += bytesRead;
      let from = 0;
      for (;;) {
        const newline = chunk.indexOf(10, from);
        if (newline === -1 || newline >= bytesRead) {
          carryBytes += bytesRead - from;
          if (!oversized && carryBytes > options.maxLineBytes) {
            oversized = true;
            carry = [];
          }
          if (!oversized) carry.push(Buffer.from(chunk.subarray(from, bytesRead)));
          break;
        }
        const piece = chunk.subarray(from, newline);
        // Splitting at 0x0A is safe in UTF-8: no multi-byte sequence contains that byte.
        if (oversized || carryBytes + piece.length > options.maxLineBytes) take(null);
        else take(Buffer.concat([...carry, piece]).toString("utf8"));
        carry = [];
        carryBytes = 0;
        oversized = false;
        consumed = chunkStart + newline + 1;
        from = newline + 1;
        if (batch.records.length >= options.maxBatchRecords) await flush();
      }
    }
    if (line > batch.firstLine || batch.reread || (target.announce && delivered === start))
      await flush();
    else target.settled({ ...delivered, size: info.size, inode: info.ino }, info.mtimeMs);
  } finally {
    await handle.close();
  }
}

async function sameFingerprint(handle: FileHandle, position: TailPosition): Promise<boolean> {
  if (position.offset === 0 || position.fingerprint === undefined) return true;
  return (await fingerprintAt(handle, position.offset)) === position.fingerprint;
}

/** sha256 (16 hex) of the up to 256 bytes before `offset`. */
async function fingerprintAt(handle: FileHandle, offset: number): Promise<string> {
  const length = Math.min(offset, FINGERPRINT_BYTES);
  const bytes = Buffer.alloc(length);
  if (length > 0) await handle.read(bytes, 0, length, offset - length);
  return createHash("sha256").update(bytes).digest("hex").slice(0, 16);
}
