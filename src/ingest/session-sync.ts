import type { Logger } from "pino";
import { z } from "zod";
import { errorMessage } from "../core/errors.js";
import type { MessageRecord } from "../core/session.js";
import type { ClientStatus, GatewayClient } from "../gateway/client.js";
import type { EventFrame } from "../gateway/frames.js";
import {
  type Normalized,
  type SessionMeta,
  normalizeMessage,
  normalizeSession,
} from "./normalize.js";

/** Where a sync writes; the store implements it. Every write is idempotent. */
export interface IngestSink {
  /**
   * Inserts or updates what the gateway says about a session (its totals are
   * clawops's own); with `keyKnown: false` its key is a stand-in that never
   * replaces a known one.
   */
  saveSession(meta: SessionMeta, options?: { keyKnown?: boolean }): Promise<void>;
  /**
   * Inserts, skipping (bot, session, seq) already kept (with `replace`, replacing those whose
   * content changed); returns the messages that were new or changed.
   */
  addMessages(
    messages: readonly MessageRecord[],
    options?: { replace?: boolean },
  ): Promise<MessageRecord[]>;
  /** Flags the bot's sessions whose id is not in `present` as gone from the gateway, un-flags the rest. */
  markDeleted(botId: string, present: readonly string[]): Promise<void>;
  cursor(botId: string, scope: string): Promise<string | null>;
  saveCursor(botId: string, scope: string, cursor: string): Promise<void>;
}

export type SyncClient = Pick<GatewayClient, "request" | "onEvent" | "onStatus" | "connected">;

export interface SessionSyncOptions {
  botId: string;
  client: SyncClient;
  sink: IngestSink;
  log: Logger;
  /** Messages just stored for the first time, with their session. */
  onMessages(messages: MessageRecord[], session: SessionMeta | null): void;
  /** A message or session the gateway sent that could not be read (skipped, counted). */
  onSkipped(why: string): void;
  /** How long after a session's last news its history is read (default 150 ms). */
  settleMs?: number;
}

/**
 * Messages per history page, and the characters of text a full read asks
 * for: 40,000 UTF-16 units stay under the 128 KB at which OpenClaw replaces a
 * whole message with a placeholder.
 */
const PAGE = 200;
const FULL_READ_CHARS = 40_000;

/** The durable position in one session key's history: its transcript, its delta cursor, the last seq kept. */
const cursorSchema = z.object({
  sessionId: z.string(),
  deltaCursor: z.string().nullable(),
  lastSeq: z.number(),
  /** The session row's `updatedAt` when last read: unchanged means nothing to read. */
  activity: z.string().nullable(),
});
type Cursor = z.infer<typeof cursorSchema>;

const historySchema = z.looseObject({
  kind: z.string().optional(),
  sessionId: z.string().optional(),
  messages: z.array(z.unknown()).default([]),
  deltaCursor: z.string().optional(),
  hasMore: z.boolean().optional(),
  nextOffset: z.number().nullish(),
  sessionInfo: z.looseObject({ sessionId: z.string().optional() }).optional(),
});
const listSchema = z.looseObject({
  sessions: z.array(z.unknown()),
  hasMore: z.boolean().default(false),
  nextOffset: z.number().nullish(),
});
const sessionMessageSchema = z.looseObject({
  sessionKey: z.string(),
  sessionId: z.string(),
  message: z.unknown(),
});
const sessionsChangedSchema = z.looseObject({
  sessionKey: z.string().nullish(),
  reason: z.string().nullish(),
  phase: z.string().nullish(),
});

/**
 * Keeps clawops's copy of one gateway's sessions. Live: `sessions.subscribe`
 * delivers each user and assistant message as it is written
 * (`session.message`), stored at once. Catch-up: on every (re)connect all
 * sessions are listed and each changed one is read through `chat.history`
 * from its durable cursor; the same read runs shortly after a turn ends,
 * because tool results and texts over 8,000 characters never come live
 * (docs/openclaw-2026.9.6.md, "Sessions as clawops reads them"). Strictly
 * read-only towards the gateway.
 */
export class SessionSync {
  /** Per session key: the work queued for it and a pending history read. */
  private readonly keys = new Map<string, { chain: Promise<void>; timer: NodeJS.Timeout | null }>();
  private readonly unsubscribe: (() => void)[] = [];
  private catchUp: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: SessionSyncOptions) {}

  /** Starts following the gateway; a connected client is caught up at once. */
  start(): void {
    const { client } = this.options;
    this.unsubscribe.push(
      client.onEvent((frame) => this.onEvent(frame)),
      client.onStatus((status) => this.onStatus(status)),
    );
    if (client.connected) this.onStatus("connected");
  }

  /** Stops following; work in flight finishes, nothing new starts. */
  stop(): void {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const key of this.keys.values()) if (key.timer) clearTimeout(key.timer);
  }

  /** Resolves once the catch-up and every session's queued work so far are done. */
  async idle(): Promise<void> {
    await this.catchUp;
    await this.sessionsIdle();
  }

  private async sessionsIdle() {
    await Promise.all([...this.keys.values()].map((k) => k.chain));
  }

  private onStatus(status: ClientStatus) {
    if (status === "connected") this.scheduleCatchUp();
  }

  private scheduleCatchUp() {
    if (this.stopped) return;
    this.catchUp = this.catchUp
      .then(() => this.catchUpAll())
      .catch((error: unknown) => {
        this.options.log.warn({ err: errorMessage(error) }, "ingest.catch_up_failed");
      });
  }

  private onEvent(frame: EventFrame) {
    if (frame.event === "session.message") this.onMessage(frame.payload);
    else if (frame.event === "sessions.changed") {
      const change = sessionsChangedSchema.safeParse(frame.payload);
      if (!change.success) return;
      const { sessionKey, reason, phase } = change.data;
      if (reason === "delete" || reason === "reset") this.scheduleCatchUp();
      else if (sessionKey && phase === "end") this.readSoon(sessionKey);
    }
  }

  private onMessage(payload: unknown) {
    const parsed = sessionMessageSchema.safeParse(payload);
    if (!parsed.success) return this.options.onSkipped("session.message: no session key or id");
    const { sessionKey, sessionId, message } = parsed.data;
    const meta = normalizeSession(payload, this.options.botId);
    const normalized = normalizeMessage(message, this.options.botId, sessionId);
    this.enqueue(sessionKey, async () => {
      if (meta.ok) await this.options.sink.saveSession(meta.session);
      await this.store([normalized], meta.ok ? meta.session : null);
      // What does not come live (tool results, a cut text) comes from history.
      if (!normalized.ok || normalized.cut) this.readSoon(sessionKey);
    });
  }

  /** Subscribes, lists every session, reads the changed ones, flags the ones gone. */
  private async catchUpAll() {
    const { client, sink, botId } = this.options;
    await client.request("sessions.subscribe", {}, z.unknown());
    const present: string[] = [];
    for (let offset: number | null | undefined = 0; offset != null;) {
      const page: z.infer<typeof listSchema> = await client.request(
        "sessions.list",
        { offset },
        listSchema,
      );
      for (const row of page.sessions) {
        const meta = normalizeSession(row, botId);
        if (!meta.ok) {
          this.options.onSkipped(`sessions.list row: ${meta.why}`);
          continue;
        }
        present.push(meta.session.sessionId);
        await sink.saveSession(meta.session);
        const cursor = await this.cursor(meta.session.sessionKey);
        if (
          cursor?.activity !== meta.session.lastActivityAt ||
          cursor?.sessionId !== meta.session.sessionId
        )
          this.enqueue(meta.session.sessionKey, () =>
            this.readHistory(meta.session.sessionKey, meta.session.lastActivityAt),
          );
      }
      offset = page.hasMore && page.sessions.length > 0 ? page.nextOffset : null;
    }
    await sink.markDeleted(botId, present);
    await this.sessionsIdle();
  }

  /** Reads `key`'s history a little later, once (news of one turn comes in bursts). */
  private readSoon(key: string) {
    const state = this.state(key);
    if (state.timer || this.stopped) return;
    state.timer = setTimeout(() => {
      state.timer = null;
      this.enqueue(key, () => this.readHistory(key, null));
    }, this.options.settleMs ?? 150);
  }

  /**
   * Reads what `key`'s history holds past the cursor: the delta when the
   * gateway can give one whole, else the pages from the newest back to the
   * last message kept (a reset, a cut text, no cursor yet).
   */
  private async readHistory(key: string, activity: string | null) {
    const saved = await this.cursor(key);
    if (saved?.deltaCursor) {
      const delta = await this.history({ sessionKey: key, cursor: saved.deltaCursor });
      const sessionId = delta.sessionInfo?.sessionId ?? saved.sessionId;
      const read = delta.messages.map((m) => this.normalize(unwrap(m), sessionId));
      if (
        delta.kind === "delta" &&
        sessionId === saved.sessionId &&
        read.every((r) => !r.ok || !r.cut)
      ) {
        const lastSeq = await this.store(read, null, saved.lastSeq);
        await this.saveCursor(key, {
          sessionId,
          deltaCursor: delta.deltaCursor ?? saved.deltaCursor,
          lastSeq,
          activity: activity ?? saved.activity,
        });
        return;
      }
    }
    let first: z.infer<typeof historySchema> | null = null;
    const read: Normalized[] = [];
    for (let offset: number | null | undefined = 0; offset != null;) {
      const page = await this.history({
        sessionKey: key,
        limit: PAGE,
        offset,
        maxChars: FULL_READ_CHARS,
      });
      first ??= page;
      if (!page.sessionId || page.sessionId !== first.sessionId) break;
      const batch = page.messages.map((m) => this.normalize(m, page.sessionId!));
      read.unshift(...batch);
      const oldest = Math.min(...batch.map((r) => (r.ok ? r.message.seq : Infinity)));
      const knownUpTo = saved?.sessionId === page.sessionId ? saved.lastSeq : 0;
      offset = page.hasMore && oldest > knownUpTo + 1 ? page.nextOffset : null;
    }
    if (!first?.sessionId) return;
    // A cut text is the most a full read can get: kept as the gateway gave it.
    const lastSeq = await this.store(read, null, 0, { keepCut: true });
    await this.saveCursor(key, {
      sessionId: first.sessionId,
      deltaCursor: first.deltaCursor ?? null,
      lastSeq,
      activity,
    });
  }

  private history(params: Record<string, unknown>) {
    return this.options.client.request("chat.history", params, historySchema, {
      timeoutMs: 60_000,
    });
  }

  private normalize(raw: unknown, sessionId: string): Normalized {
    return normalizeMessage(raw, this.options.botId, sessionId);
  }

  /**
   * Stores the readable messages, and the cut ones only with `keepCut` (a
   * history read fetches those whole); returns the highest seq stored (or `lastSeq`).
   */
  private async store(
    read: Normalized[],
    session: SessionMeta | null,
    lastSeq = 0,
    { keepCut = false } = {},
  ) {
    const messages: MessageRecord[] = [];
    for (const r of read) {
      if (!r.ok) this.options.onSkipped(`message: ${r.why}`);
      else if (keepCut || !r.cut) messages.push(r.message);
    }
    if (messages.length === 0) return lastSeq;
    const added = await this.options.sink.addMessages(messages);
    if (added.length > 0) this.options.onMessages(added, session);
    return Math.max(lastSeq, ...messages.map((m) => m.seq));
  }

  private async cursor(key: string): Promise<Cursor | null> {
    const text = await this.options.sink.cursor(this.options.botId, `session:${key}`);
    const parsed = text ? cursorSchema.safeParse(JSON.parse(text)) : null;
    return parsed?.success ? parsed.data : null;
  }

  private saveCursor(key: string, cursor: Cursor) {
    return this.options.sink.saveCursor(
      this.options.botId,
      `session:${key}`,
      JSON.stringify(cursor),
    );
  }

  private state(key: string) {
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { chain: Promise.resolve(), timer: null }));
    return state;
  }

  /** One session key's work runs in order; a failure is logged and the next piece still runs. */
  private enqueue(key: string, work: () => Promise<void>) {
    const state = this.state(key);
    state.chain = state.chain.then(work).catch((error: unknown) => {
      this.options.log.warn({ sessionKey: key, err: errorMessage(error) }, "ingest.session_failed");
    });
  }
}

/** A history delta wraps each message with its seq (`{message, messageSeq}`); a page does not. */
function unwrap(entry: unknown): unknown {
  const e = entry as { message?: unknown; messageSeq?: unknown } | null;
  return e && typeof e === "object" && "messageSeq" in e && e.message ? e.message : entry;
}
