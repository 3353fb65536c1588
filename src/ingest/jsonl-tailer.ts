import { type FSWatcher, watch } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import {
  type JsonlBatch,
  type ReadFileOptions,
  type TailPosition,
  readTranscript,
} from "./jsonl-read.js";

export type { JsonlBatch, TailPosition } from "./jsonl-read.js";

/**
 * Follows an OpenClaw <= 2026.7 sessions folder (`$STATE/agents/<id>/sessions/`)
 * and hands every new transcript line, parsed, to a sink. Which files:
 * `<sessionId>.jsonl` (live transcripts) and the archives a reset or delete
 * leaves (`<sessionId>.jsonl.reset.<ts>`, `.jsonl.deleted.<ts>`); never the
 * `.trajectory.jsonl` traces, locks or temp files.
 *
 * Promptness comes from `fs.watch` on the folder; a stat poll (every 2 s by
 * default) is the backstop, since watch events can be missed (network file
 * systems, a watcher that failed, the folder created after start) and a quiet
 * session's last line must never wait for the next write. Events are not
 * throttled: an event during a scan makes the loop scan again at once, so the
 * last write is never dropped.
 *
 * Why `seq` is the line number: 2026.7 lines carry no sequence number, only a
 * random 8-hex tree id, and MessageRecord.seq must order the transcript. The
 * file is append-only in normal operation, so a line keeps its number for
 * ever; when OpenClaw rewrites a transcript (repairing a failed turn's line,
 * dropping an aborted tail) it rewrites lines in place and keeps their count
 * before the change, so re-reading from 0 gives the same seq to the same line
 * (with its new content: the store must upsert on (bot, session, seq)). Byte
 * offsets would shift with any rewritten line, and counting only message
 * lines would make seq depend on which line types this parser knows. Every
 * line counts, blank and malformed ones too.
 */
export interface TailPositionStore {
  /** The saved position of a file (its name inside the folder), or null when never read. */
  get(file: string): Promise<TailPosition | null>;
  /** Saves a position once its lines reached the sink. */
  save(file: string, position: TailPosition): Promise<void>;
}

export interface JsonlTailerOptions {
  /** The sessions folder; it may not exist yet (the gateway creates it at the first turn). */
  dir: string;
  botId: string;
  positions: TailPositionStore;
  /**
   * Receives each batch; the position advances only after it resolves. A
   * throw leaves the position where it was: the same lines come again on
   * the next scan.
   */
  sink: (batch: JsonlBatch) => Promise<void>;
  /** Backstop stat poll, default 2000 ms. */
  pollIntervalMs?: number;
  /** `fs.watch` for promptness, default true; off, only the poll finds changes. */
  watch?: boolean;
  /** Records per batch before the sink is called mid-file, default 500. */
  maxBatchRecords?: number;
  /** Bytes read per call, default 1 MiB. */
  readChunkBytes?: number;
  /** A longer line is counted as `line-too-large` and not parsed; default 32 MiB. */
  maxLineBytes?: number;
  /** A file that could not be read, or a sink that threw; the tailer carries on. */
  onError?: (file: string, error: unknown) => void;
}

/** What one scan of the folder did. */
export interface ScanSummary {
  files: number;
  batches: number;
  records: number;
  /** Files whose sink or read failed this time (they are retried on the next scan). */
  failed: number;
}

export interface JsonlTailer {
  /** Reads every transcript in the folder up to its last complete line. Never throws. */
  scanOnce(): Promise<ScanSummary>;
  /** Scans, then follows the folder until `signal` aborts; resolves then. */
  run(signal: AbortSignal): Promise<void>;
}

const TRANSCRIPT_NAME = /^(?<id>[^.]+)\.jsonl(?:\.(?<archive>reset|deleted)\.[^/]+)?$/;

/** The transcript a file name holds, or null for anything else in a sessions folder. */
export function transcriptOf(
  file: string,
): { sessionId: string; archived: "reset" | "deleted" | null } | null {
  const match = TRANSCRIPT_NAME.exec(file);
  if (!match?.groups?.id) return null;
  const archive = match.groups.archive;
  return {
    sessionId: match.groups.id,
    archived: archive === "reset" || archive === "deleted" ? archive : null,
  };
}

export function createJsonlTailer(options: JsonlTailerOptions): JsonlTailer {
  // Per file: where its lines were consumed up to, and its mtime when last looked at
  // (an unchanged size and mtime skip the file without opening it).
  const known = new Map<string, { position: TailPosition; mtimeMs: number }>();
  const readOptions: ReadFileOptions = {
    botId: options.botId,
    maxBatchRecords: options.maxBatchRecords ?? 500,
    readChunkBytes: options.readChunkBytes ?? 1024 * 1024,
    maxLineBytes: options.maxLineBytes ?? 32 * 1024 * 1024,
  };

  /** Where to read a file from that this tailer has not looked at yet; `saved` false when new. */
  async function startingPosition(
    file: string,
    transcript: { sessionId: string; archived: string | null },
    inode: number,
  ): Promise<{ position: TailPosition | null; saved: boolean }> {
    const saved = await options.positions.get(file);
    if (saved || !transcript.archived) return { position: saved, saved: saved !== null };
    // A reset or delete renames the live file (same inode): carry on where it was read up to.
    const liveName = `${transcript.sessionId}.jsonl`;
    const live = known.get(liveName)?.position ?? (await options.positions.get(liveName));
    return { position: live && live.inode === inode ? live : null, saved: false };
  }

  async function syncFile(file: string, summary: ScanSummary): Promise<void> {
    const transcript = transcriptOf(file);
    if (!transcript) return;
    const full = path.join(options.dir, file);
    const info = await stat(full).catch(() => null);
    if (!info?.isFile()) return;
    summary.files += 1;
    const seen = known.get(file);
    if (
      seen &&
      seen.position.inode === info.ino &&
      seen.position.offset === info.size &&
      seen.mtimeMs === info.mtimeMs
    )
      return;
    const start = seen
      ? { position: seen.position, saved: true }
      : await startingPosition(file, transcript, info.ino);
    await readTranscript(full, start.position, readOptions, {
      sessionId: transcript.sessionId,
      archived: transcript.archived,
      file,
      // A file never saved gets a batch even with no new line: the sink learns of every
      // transcript and archive (a reset or delete on the gateway) once.
      announce: !start.saved,
      deliver: async (batch) => {
        await options.sink(batch);
        await options.positions.save(file, batch.position);
        known.set(file, { position: batch.position, mtimeMs: info.mtimeMs });
        summary.batches += 1;
        summary.records += batch.records.length;
      },
      settled: (position, mtimeMs) => known.set(file, { position, mtimeMs }),
    });
  }

  async function scanOnce(): Promise<ScanSummary> {
    const summary: ScanSummary = { files: 0, batches: 0, records: 0, failed: 0 };
    let files: string[];
    try {
      files = (await readdir(options.dir)).sort();
    } catch (error) {
      // No sessions folder before the first turn: nothing to read yet.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") options.onError?.(options.dir, error);
      return summary;
    }
    // Files gone from the folder (renamed to an archive, removed) are forgotten here, not in the store.
    const present = new Set(files);
    for (const file of known.keys()) if (!present.has(file)) known.delete(file);
    for (const file of files) {
      try {
        await syncFile(file, summary);
      } catch (error) {
        summary.failed += 1;
        options.onError?.(file, error);
      }
    }
    return summary;
  }

  async function run(signal: AbortSignal): Promise<void> {
    const pollMs = options.pollIntervalMs ?? 2_000;
    let dirty = true;
    let wake: (() => void) | null = null;
    const poke = () => {
      dirty = true;
      wake?.();
    };
    const watching: { watcher: FSWatcher | null } = { watcher: null };
    const ensureWatcher = () => {
      if (options.watch === false || watching.watcher || signal.aborted) return;
      try {
        const watcher = watch(options.dir, { persistent: false }, poke);
        watcher.on("error", () => {
          // The folder went away or the watch broke: the poll carries on and re-creates it.
          watcher.close();
          watching.watcher = null;
          poke();
        });
        watching.watcher = watcher;
      } catch {
        // No folder yet: the next poll tries again.
      }
    };
    signal.addEventListener("abort", poke, { once: true });
    try {
      while (!signal.aborted) {
        ensureWatcher();
        if (!dirty) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, pollMs);
            wake = done;
            function done() {
              clearTimeout(timer);
              wake = null;
              resolve();
            }
          });
          if (signal.aborted) break;
        }
        // Cleared before the scan: an event during it makes the next round start at once.
        dirty = false;
        await scanOnce();
      }
    } finally {
      signal.removeEventListener("abort", poke);
      watching.watcher?.close();
    }
  }

  return { scanOnce, run };
}
