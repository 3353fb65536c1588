import type { MessageRecord, SessionRecord } from "../core/session.js";

export interface SessionQuery {
  botId?: string;
  /** Only sessions of this organisation's bots (removed ones included). */
  org?: string;
  /** Only sessions active at or after this ISO 8601 time. */
  since?: string;
  /** Only sessions with a message whose text contains this, ignoring ASCII case; taken literally. */
  search?: string;
  /** At most this many (default 50, max 500). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface SessionPage {
  sessions: SessionRecord[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface MessageQuery {
  /** Only messages with a larger seq (the last seq of the previous page). */
  afterSeq?: number;
  /** At most this many (default 200, max 1000). */
  limit?: number;
}

/** What `markDeleted` changed, by session id. */
export interface DeletedChange {
  /** Newly flagged: the gateway no longer lists them. */
  deleted: string[];
  /** Flagged before and listed again. */
  restored: string[];
}

export type CostGroup = "bot" | "model" | "owner" | "day";

export interface CostQuery {
  /** Messages at or after this ISO 8601 time. */
  since?: string;
  /** Messages before this ISO 8601 time (exclusive). */
  until?: string;
  botId?: string;
  /** Only messages of this organisation's bots (removed ones included). */
  org?: string;
  /** Only messages of the sessions under this key (every session id it had: a reset makes a new one). */
  sessionKey?: string;
}

/** A bot's messages in a range, and how many of them failed. */
export interface MessageCount {
  botId: string;
  messages: number;
  errors: number;
}

/** Usage summed over the messages of one group. */
export interface CostRow {
  /**
   * The bot id, the model, the owner (null: no owner, or the bot was
   * removed) or the UTC day (`YYYY-MM-DD`); null when the messages had none.
   */
  key: string | null;
  /** For `bot`: its name now, else a name its sessions were saved with (removed). Otherwise `key`. */
  label: string | null;
  /** Messages that carried usage. */
  messages: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  costUsd: number;
}

/**
 * Conversations kept for good: every gateway's sessions and messages as the
 * ingest sees them, their usage and cost, and the ingest's catch-up cursors.
 * Nothing is removed with a bot; only `pruneMessages` deletes.
 *
 * Timestamps are ISO 8601 with a zone and come back in UTC
 * (`toISOString()`), so time ranges compare as text. A record that breaks
 * its type (an empty id, a negative seq, an unparseable time, an unknown
 * role) fails the whole call with `VALIDATION` naming the field; nothing of
 * that call is written.
 */
export interface SessionStore {
  /**
   * Inserts or replaces sessions by (bot id, session id), in one transaction.
   * With `keepTotals` a stored session keeps its message count, usage, cost
   * and cost source (what `addMessages` adds to): a writer that read the
   * session before messages were added cannot write the old totals back.
   */
  saveSessions(
    sessions: readonly SessionRecord[],
    options?: { keepTotals?: boolean },
  ): Promise<void>;
  getSession(botId: string, sessionId: string): Promise<SessionRecord | null>;
  /**
   * Newest activity first (the last activity, else the start, else
   * `updatedAt`), deleted sessions included. Keyset paging: a page is stable
   * while sessions are added. Throws `VALIDATION` for a cursor this store did
   * not hand out.
   */
  listSessions(query?: SessionQuery): Promise<SessionPage>;
  /**
   * Flags the bot's sessions missing from `presentSessionIds` as deleted on
   * the gateway and clears the flag of listed ones (stamping `updatedAt` of
   * those that change); history and cost stay.
   * The list must be the gateway's complete one (an empty list flags every
   * session of the bot). Ids of sessions clawops does not have are ignored.
   */
  markDeleted(botId: string, presentSessionIds: readonly string[]): Promise<DeletedChange>;

  /**
   * Inserts messages, skipping any already stored under the same (bot id,
   * session id, seq): a replay writes nothing. Returns the new ones in input
   * order (the first of duplicates within the batch), for the caller to
   * publish. The new ones are added to their stored session's totals (message
   * count, usage, cost; its cost source, model used and last activity from
   * them) in place, in the same transaction: a session's totals stay the sums
   * of its messages through a replay or a crash; messages of a session not
   * stored change no session. One transaction per call. Text is stored as given (cutting it to
   * `MESSAGE_TEXT_LIMIT` is the ingest's job) but for NUL characters, which
   * become U+FFFD (PostgreSQL's text cannot hold them). Built for batches of
   * hundreds.
   *
   * With `replace`, a stored message under the same key whose content
   * differs is replaced, and its usage taken back from the session's totals
   * before the new one's is added (a legacy transcript OpenClaw rewrote in
   * place); the replaced ones are returned with the new ones.
   */
  addMessages(
    messages: readonly MessageRecord[],
    options?: { replace?: boolean },
  ): Promise<MessageRecord[]>;
  /** In seq order. */
  listMessages(botId: string, sessionId: string, query?: MessageQuery): Promise<MessageRecord[]>;
  /** Deletes messages written before `before` (ISO 8601); returns how many. Sessions stay. */
  pruneMessages(before: string): Promise<number>;

  /**
   * Usage and cost per group, summed from messages (so the cost of a session
   * deleted on the gateway, or of a removed bot, still counts), largest cost
   * first. `day` is the UTC day.
   */
  costBy(group: CostGroup, query?: CostQuery): Promise<CostRow[]>;

  /**
   * Messages and failed ones (a failed turn or tool result: `isError`) per
   * bot, in the query's range; bots without messages are left out.
   */
  messageCounts(query?: Omit<CostQuery, "sessionKey">): Promise<MessageCount[]>;

  /** The catch-up cursor of a bot's scope (a session id, or `*` for the gateway); null when none. */
  getCursor(botId: string, scope: string): Promise<string | null>;
  saveCursor(botId: string, scope: string, cursor: string): Promise<void>;
}
