import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import type { MessageRecord } from "../core/session.js";
import type { SessionMeta } from "./normalize.js";
import type { IngestSink } from "./session-sync.js";
import { type JsonlBatch, type TailPosition, createJsonlTailer } from "./jsonl-tailer.js";

export interface LegacyFollowOptions {
  botId: string;
  /** The gateway's OPENCLAW_STATE_DIR: transcripts are under `agents/<id>/sessions/`. */
  stateDir: string;
  sink: IngestSink;
  log: Logger;
  onMessages(messages: MessageRecord[]): void;
  onSkipped(why: string): void;
  /** Stat-poll backstop (default 2 s). */
  pollIntervalMs?: number;
}

/** An entry of `sessions.json`: the index of one agent's sessions, by session key. */
interface IndexEntry {
  sessionId?: unknown;
  model?: unknown;
  modelProvider?: unknown;
  channel?: unknown;
  lastChannel?: unknown;
}

/**
 * Follows an OpenClaw <= 2026.7 gateway's sessions, which live in JSONL files
 * (docs/openclaw-legacy-sessions.md), into the same sink as the protocol
 * path: one tailer per agent's sessions folder, positions saved as ingest
 * cursors (`file:<agent>/<file>`), session keys read from `sessions.json`.
 * A transcript archived by a reset or delete flags its session as gone from
 * the gateway. Read-only: clawops never writes into these folders.
 */
export function followLegacySessions(options: LegacyFollowOptions): { stop(): Promise<void> } {
  const abort = new AbortController();
  const running = (async () => {
    const agentsDir = path.join(options.stateDir, "agents");
    const agents = await readdir(agentsDir).catch(() => [] as string[]);
    // A gateway that has not chatted yet has no agents folder: `main` is where it will write.
    const ids = agents.length > 0 ? agents : ["main"];
    await Promise.all(ids.map((agentId) => followAgent(agentId, options, abort.signal)));
  })();
  return {
    async stop() {
      abort.abort();
      await running;
    },
  };
}

async function followAgent(agentId: string, options: LegacyFollowOptions, signal: AbortSignal) {
  const { sink, botId } = options;
  const dir = path.join(options.stateDir, "agents", agentId, "sessions");
  const scope = (file: string) => `file:${agentId}/${file}`;
  const tailer = createJsonlTailer({
    dir,
    botId,
    pollIntervalMs: options.pollIntervalMs ?? 2_000,
    positions: {
      async get(file) {
        const text = await sink.cursor(botId, scope(file));
        return text ? (JSON.parse(text) as TailPosition) : null;
      },
      save: (file, position) => sink.saveCursor(botId, scope(file), JSON.stringify(position)),
    },
    sink: async (batch) => {
      const index = (await readIndex(dir)) ?? new Map<string, [string, IndexEntry]>();
      await store(batch, agentId, index, options);
    },
    onError: (file, error) =>
      options.log.warn({ file, err: errorMessage(error) }, "ingest.legacy_file_failed"),
  });
  await tailer.run(signal);
}

/** `sessions.json` as session id -> [key, entry]; null when it cannot be read (mid-rename). */
async function readIndex(dir: string): Promise<Map<string, [string, IndexEntry]> | null> {
  const index = new Map<string, [string, IndexEntry]>();
  try {
    const raw = JSON.parse(await readFile(path.join(dir, "sessions.json"), "utf8")) as Record<
      string,
      IndexEntry
    >;
    for (const [key, entry] of Object.entries(raw)) {
      if (typeof entry?.sessionId === "string") index.set(entry.sessionId, [key, entry]);
    }
  } catch {
    // Rewritten whole through a rename, or not written yet: the next batch reads it again.
    return null;
  }
  return index;
}

async function store(
  batch: JsonlBatch,
  agentId: string,
  index: Map<string, [string, IndexEntry]>,
  options: LegacyFollowOptions,
) {
  const { sink, botId } = options;
  // The header names no key, and a reset drops the old transcript from the index: a
  // transcript first seen as an archive gets a stand-in key.
  const indexed = index.get(batch.sessionId);
  const [key, entry] = indexed ?? [`agent:${agentId}:${batch.sessionId}`, {}];
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  const header = batch.meta.find((m) => m.type === "session");
  const switched = batch.meta.findLast((m) => m.modelConfigured);
  const configured =
    switched?.modelConfigured ??
    (text(entry.model)
      ? [text(entry.modelProvider), text(entry.model)].filter(Boolean).join("/")
      : null);
  const meta: SessionMeta = {
    botId,
    sessionId: batch.sessionId,
    sessionKey: key,
    agentId,
    channel: text(entry.channel) ?? text(entry.lastChannel),
    peer: null,
    modelConfigured: configured,
    modelUsed: null,
    status: null,
    startedAt: header?.startedAt ?? header?.at ?? null,
    lastActivityAt: batch.records.at(-1)?.at ?? null,
  };
  await sink.saveSession(meta, { keyKnown: indexed !== undefined });
  for (const problem of batch.problems)
    options.onSkipped(`${batch.file} line ${problem.seq}: ${problem.reason}`);
  if (batch.records.length > 0) {
    // A transcript OpenClaw rewrote (a tool result cut, a failed turn repaired) is read again
    // from its first line: what changed replaces what was kept.
    const added = await sink.addMessages(batch.records, { replace: batch.reread !== null });
    if (added.length > 0) options.onMessages(added);
  }
  // A reset or delete renamed the transcript: the sessions the indexes still name are the live ones.
  const live = batch.archived ? await liveSessionIds(options.stateDir) : null;
  if (live) await sink.markDeleted(botId, live);
}

/**
 * Every agent's indexed session ids: the gateway's complete list of live
 * sessions; null when an index could not be read (no list beats a wrong one).
 */
async function liveSessionIds(stateDir: string): Promise<string[] | null> {
  const agentsDir = path.join(stateDir, "agents");
  const agents = await readdir(agentsDir).catch(() => [] as string[]);
  const indexes = await Promise.all(
    agents.map((agent) => readIndex(path.join(agentsDir, agent, "sessions"))),
  );
  if (indexes.some((index) => index === null)) return null;
  return indexes.flatMap((index) => [...index!.keys()]);
}
