import { concurrencyLimit } from "../core/limit.js";
import { type Kysely, type RawBuilder, type SqlBool, sql } from "kysely";
import type { MessageRecord, SessionRecord } from "../core/session.js";
import { type InsertMessages, type MessageKey, removeChanged } from "./message-insert.js";
import type { WriteNewMessages } from "./pg-message-write.js";
import { addToSessionTotals, resolveAdditions } from "./session-totals.js";
import { inOrg } from "./org-scope.js";
import type { Database, Dialect, MessagesTable, SessionsTable } from "./schema.js";
import {
  fromMessage,
  fromSession,
  id,
  invalid,
  toMessage,
  toSession,
  toUsage,
  utcTime,
} from "./session-rows.js";
import type {
  CostGroup,
  CostQuery,
  CostRow,
  DeletedChange,
  MessageCount,
  MessageQuery,
  SessionPage,
  SessionQuery,
  SessionStore,
} from "./session-store.js";
import { storeErrors, transact, valuesPerStatement, writeInChunks } from "./transact.js";

/** Ids per `IN (...)` list. */
const ID_CHUNK = 1_000;
const COST_GROUPS: readonly CostGroup[] = ["bot", "model", "owner", "day"];

/** clawops's own sums of a session's messages: `addMessages` adds to them in place. */
const TOTALS = [
  "message_count",
  "tokens_input",
  "tokens_output",
  "tokens_cache_read",
  "tokens_cache_write",
  "cost_usd",
  "cost_source",
] as const satisfies readonly (keyof SessionsTable)[];

/** The columns an upsert replaces: all but the key. */
const SESSION_UPDATES = [
  "bot_name",
  "session_key",
  "agent_id",
  "channel",
  "peer",
  "model_configured",
  "model_used",
  "status",
  "started_at",
  "last_activity_at",
  "activity_at",
  ...TOTALS,
  "deleted_on_gateway",
  "updated_at",
] as const satisfies readonly (keyof SessionsTable)[];

/** What `saveSessions` with `keepTotals` replaces. */
const UPDATES_KEEPING_TOTALS = SESSION_UPDATES.filter(
  (c) => !(TOTALS as readonly string[]).includes(c),
);

/**
 * Message batches written at once. Two keep the database busy while the
 * next batch is encoded (on PostgreSQL a fleet's streams then store ~1.6x
 * what one writer does); more only queue their encoding on the event loop
 * the supervisor shares (twenty at once held it for 150 ms).
 */
const MESSAGE_WRITES_AT_ONCE = 2;

/** The SessionStore on the store's Kysely, either dialect. */
export class KyselySessionStore implements SessionStore {
  private readonly writes = concurrencyLimit(MESSAGE_WRITES_AT_ONCE);

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly location: string,
    private readonly insertMessages: InsertMessages,
    private readonly writeNew: WriteNewMessages | null = null,
  ) {}

  async saveSessions(
    sessions: readonly SessionRecord[],
    { keepTotals = false }: { keepTotals?: boolean } = {},
  ): Promise<void> {
    const updates = keepTotals ? UPDATES_KEEPING_TOTALS : SESSION_UPDATES;
    // The last of a key wins; PostgreSQL refuses an upsert that touches a row twice.
    const rows = new Map<string, SessionsTable>();
    sessions.forEach((s, i) => {
      const row = fromSession(s, `sessions[${i}]`);
      rows.set(`${row.bot_id}\0${row.session_id}`, row);
    });
    const upsert = (db: Kysely<Database>) =>
      writeInChunks(
        db,
        this.location,
        [...rows.values()],
        valuesPerStatement(this.dialect, SESSION_UPDATES.length + 2),
        async (tx, chunk) => {
          await tx
            .insertInto("sessions")
            .values(chunk)
            .onConflict((oc) =>
              oc
                .columns(["bot_id", "session_id"])
                .doUpdateSet((eb) =>
                  Object.fromEntries(updates.map((c) => [c, eb.ref(`excluded.${c}`)])),
                ),
            )
            .execute();
          return [];
        },
      );
    if (!keepTotals) return void (await upsert(this.db));
    // Messages stored before their session's row had nobody to add to (addToSessionTotals leaves
    // sessions not stored alone): a session that counts none yet takes the sums of its stored
    // messages, in the transaction that made it, before any later addition.
    await transact(this.db, this.location, async (tx) => {
      await upsert(tx);
      for (const chunk of chunked([...rows.values()], ID_CHUNK))
        await recountEmptySessions(tx, chunk).execute();
    });
  }

  async getSession(botId: string, sessionId: string): Promise<SessionRecord | null> {
    const row = await this.db
      .selectFrom("sessions")
      .selectAll()
      .where("bot_id", "=", botId)
      .where("session_id", "=", sessionId)
      .executeTakeFirst();
    return row ? toSession(row) : null;
  }

  async listSessions(query: SessionQuery = {}): Promise<SessionPage> {
    const limit = pageSize(query.limit, 50, 500);
    let q = this.db.selectFrom("sessions").selectAll();
    if (query.botId !== undefined) q = q.where("bot_id", "=", query.botId);
    if (query.org !== undefined) q = q.where(inOrg(this.db, this.dialect, "bot_id", query.org));
    if (query.since !== undefined) q = q.where("activity_at", ">=", utcTime(query.since, "since"));
    if (query.search) {
      const pattern = `%${query.search.replace(/[\\%_]/g, "\\$&")}%`;
      // SQLite's LIKE ignores ASCII case already; PostgreSQL's needs ILIKE.
      const like = sql.raw(this.dialect === "postgres" ? "ilike" : "like");
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom("messages as m")
            .select(sql`1`.as("one"))
            .whereRef("m.bot_id", "=", "sessions.bot_id")
            .whereRef("m.session_id", "=", "sessions.session_id")
            .where(sql<SqlBool>`m.text ${like} ${pattern} escape '\\'`),
        ),
      );
    }
    if (query.cursor !== undefined) {
      const [activityAt, botId, sessionId] = decodeCursor(query.cursor);
      q = q.where((eb) =>
        eb(
          eb.refTuple("activity_at", "bot_id", "session_id"),
          "<",
          eb.tuple(activityAt, botId, sessionId),
        ),
      );
    }
    const rows = await q
      .orderBy("activity_at", "desc")
      .orderBy("bot_id", "desc")
      .orderBy("session_id", "desc")
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      sessions: page.map(toSession),
      nextCursor:
        rows.length > limit && last
          ? encodeCursor([last.activity_at, last.bot_id, last.session_id])
          : null,
    };
  }

  async markDeleted(botId: string, presentSessionIds: readonly string[]): Promise<DeletedChange> {
    id(botId, "botId");
    if (!Array.isArray(presentSessionIds)) {
      throw invalid("presentSessionIds", "an array of session ids", presentSessionIds);
    }
    const present = new Set(presentSessionIds);
    return transact(this.db, this.location, async (tx) => {
      const known = await tx
        .selectFrom("sessions")
        .select(["session_id", "deleted_on_gateway"])
        .where("bot_id", "=", botId)
        .orderBy("session_id")
        .execute();
      const change: DeletedChange = { deleted: [], restored: [] };
      for (const { session_id, deleted_on_gateway } of known) {
        if (deleted_on_gateway === 0 && !present.has(session_id)) change.deleted.push(session_id);
        if (deleted_on_gateway === 1 && present.has(session_id)) change.restored.push(session_id);
      }
      const updatedAt = new Date().toISOString();
      for (const [ids, flag] of [
        [change.deleted, 1],
        [change.restored, 0],
      ] as const) {
        for (let i = 0; i < ids.length; i += ID_CHUNK) {
          await tx
            .updateTable("sessions")
            .set({ deleted_on_gateway: flag, updated_at: updatedAt })
            .where("bot_id", "=", botId)
            .where("session_id", "in", ids.slice(i, i + ID_CHUNK))
            .execute();
        }
      }
      return change;
    });
  }

  addMessages(
    messages: readonly MessageRecord[],
    options: { replace?: boolean } = {},
  ): Promise<MessageRecord[]> {
    return this.writes(() => this.writeMessages(messages, options));
  }

  private async writeMessages(
    messages: readonly MessageRecord[],
    options: { replace?: boolean },
  ): Promise<MessageRecord[]> {
    const rows: MessagesTable[] = [];
    const records: MessageRecord[] = [];
    const keys: string[] = [];
    const seen = new Set<string>();
    messages.forEach((m, i) => {
      const row = fromMessage(m, `messages[${i}]`);
      const key = `${row.bot_id}\0${row.session_id}\0${row.seq}`;
      if (seen.has(key)) return;
      seen.add(key);
      rows.push(row);
      keys.push(key);
      // What listMessages will return: the time in UTC, NUL replaced.
      records.push(
        row.at === m.at && row.text === m.text ? m : { ...m, at: row.at, text: row.text },
      );
    });
    if (rows.length === 0) return [];
    const addedOf = (inserted: readonly MessageKey[]) => {
      const fresh = new Set(inserted.map((r) => `${r.bot_id}\0${r.session_id}\0${r.seq}`));
      return records.filter((_, i) => fresh.has(keys[i]!));
    };
    // The messages and what they add to their sessions' totals commit together: a crash
    // between the two would lose the count for good (a replay finds them stored). PostgreSQL
    // writes new messages pipelined (pg-message-write.ts); a replace reads and deletes first.
    if (this.writeNew && !options.replace) {
      let added: MessageRecord[] = [];
      await this.writeNew(rows, (inserted) => resolveAdditions((added = addedOf(inserted))));
      return added;
    }
    return transact(this.db, this.location, async (tx) => {
      const replaced = options.replace ? await removeChanged(tx, rows) : [];
      const added = addedOf(await this.insertMessages(tx, rows));
      const additions = resolveAdditions(added, replaced.map(toMessage));
      await addToSessionTotals(tx, this.dialect, additions, new Date().toISOString());
      return added;
    });
  }

  async listMessages(
    botId: string,
    sessionId: string,
    query: MessageQuery = {},
  ): Promise<MessageRecord[]> {
    const limit = pageSize(query.limit, 200, 1000);
    let q = this.db
      .selectFrom("messages")
      .selectAll()
      .where("bot_id", "=", botId)
      .where("session_id", "=", sessionId);
    if (query.afterSeq !== undefined) {
      if (!Number.isSafeInteger(query.afterSeq)) {
        throw invalid("afterSeq", "a whole number", query.afterSeq);
      }
      q = q.where("seq", ">", query.afterSeq);
    }
    const rows = await q.orderBy("seq").limit(limit).execute();
    return rows.map(toMessage);
  }

  async pruneMessages(before: string): Promise<number> {
    const result = await storeErrors(
      this.db.deleteFrom("messages").where("at", "<", utcTime(before, "before")).executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }

  /** Messages (`m`, with their bot `b`) in the query's time range, bot and organisation. */
  private messagesIn(query: CostQuery) {
    let q = this.db.selectFrom("messages as m").leftJoin("bots as b", "b.id", "m.bot_id");
    if (query.since !== undefined) q = q.where("m.at", ">=", utcTime(query.since, "since"));
    if (query.until !== undefined) q = q.where("m.at", "<", utcTime(query.until, "until"));
    if (query.botId !== undefined) q = q.where("m.bot_id", "=", query.botId);
    if (query.org !== undefined) q = q.where(inOrg(this.db, this.dialect, "m.bot_id", query.org));
    return q;
  }

  async messageCounts(query: Omit<CostQuery, "sessionKey"> = {}): Promise<MessageCount[]> {
    const rows = await this.messagesIn(query)
      .select([
        "m.bot_id as botId",
        sql<number>`count(*)`.as("messages"),
        sql<number>`sum(m.is_error)`.as("errors"),
      ])
      .groupBy("m.bot_id")
      .orderBy("m.bot_id")
      .execute();
    return rows.map((r) => ({
      botId: r.botId,
      messages: Number(r.messages),
      errors: Number(r.errors),
    }));
  }

  async costBy(group: CostGroup, query: CostQuery = {}): Promise<CostRow[]> {
    if (!COST_GROUPS.includes(group)) throw invalid("group", COST_GROUPS.join(", "), group);
    let q = this.messagesIn(query).where("m.tokens_input", "is not", null);
    const sessionKey = query.sessionKey;
    if (sessionKey !== undefined)
      q = q.where((eb) =>
        eb(
          "m.session_id",
          "in",
          eb
            .selectFrom("sessions as s")
            .select("s.session_id")
            .whereRef("s.bot_id", "=", "m.bot_id")
            .where("s.session_key", "=", sessionKey),
        ),
      );
    const key = groupKey(group);
    const rows = await q
      .select([
        key.as("key"),
        sql<number>`count(*)`.as("messages"),
        sql<number>`sum(m.tokens_input)`.as("tokens_input"),
        sql<number>`sum(m.tokens_output)`.as("tokens_output"),
        sql<number>`sum(m.tokens_cache_read)`.as("tokens_cache_read"),
        sql<number>`sum(m.tokens_cache_write)`.as("tokens_cache_write"),
        sql<number>`sum(m.cost_usd)`.as("cost_usd"),
      ])
      .groupBy(key)
      .execute();
    const labels = group === "bot" ? await this.botNames(rows.map((r) => r.key!)) : null;
    return rows
      .map((r) => ({
        key: r.key,
        label: labels ? (labels.get(r.key!) ?? null) : r.key,
        messages: Number(r.messages),
        ...toUsage(r),
      }))
      .sort((a, b) => b.costUsd - a.costUsd || (a.key ?? "").localeCompare(b.key ?? ""));
  }

  async getCursor(botId: string, scope: string): Promise<string | null> {
    const row = await this.db
      .selectFrom("ingest_cursors")
      .select("cursor")
      .where("bot_id", "=", botId)
      .where("scope", "=", scope)
      .executeTakeFirst();
    return row ? row.cursor : null;
  }

  async saveCursor(botId: string, scope: string, cursor: string): Promise<void> {
    if (typeof cursor !== "string") throw invalid("cursor", "a string", cursor);
    const row = {
      bot_id: id(botId, "botId"),
      scope: id(scope, "scope"),
      cursor,
      updated_at: new Date().toISOString(),
    };
    await storeErrors(
      this.db
        .insertInto("ingest_cursors")
        .values(row)
        .onConflict((oc) =>
          oc.columns(["bot_id", "scope"]).doUpdateSet({ cursor, updated_at: row.updated_at }),
        )
        .execute(),
    );
  }

  /** The bots' names now, else a name their sessions were saved with (a removed bot). */
  private async botNames(botIds: string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (let i = 0; i < botIds.length; i += ID_CHUNK) {
      const ids = botIds.slice(i, i + ID_CHUNK);
      const saved = await this.db
        .selectFrom("sessions")
        .select(["bot_id", (eb) => eb.fn.max("bot_name").as("bot_name")])
        .where("bot_id", "in", ids)
        .groupBy("bot_id")
        .execute();
      for (const s of saved) names.set(s.bot_id, s.bot_name);
      const bots = await this.db
        .selectFrom("bots")
        .select(["id", "name"])
        .where("id", "in", ids)
        .execute();
      for (const b of bots) names.set(b.id, b.name);
    }
    return names;
  }
}

/** The group's key over `messages as m` (and `bots as b`); the day from UTC ISO text. */
function groupKey(group: CostGroup): RawBuilder<string | null> {
  switch (group) {
    case "bot":
      // An expression, not the column: grouping by the column, SQLite walks the primary key
      // (bot_id first) to skip a sort and reads every message instead of the time range's.
      return sql<string | null>`m.bot_id || ''`;
    case "model":
      return sql<string | null>`m.model`;
    case "owner":
      return sql<string | null>`b.owner`;
    case "day":
      return sql<string | null>`substr(m.at, 1, 10)`;
  }
}

/** A limit as given, capped at `max`; `VALIDATION` when not a whole number >= 1. */
function pageSize(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw invalid("limit", "a whole number >= 1", limit);
  return Math.min(limit, max);
}

function encodeCursor(key: [string, string, string]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

function decodeCursor(cursor: string): [string, string, string] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(key) && key.length === 3 && key.every((k) => typeof k === "string")) {
      return key as [string, string, string];
    }
  } catch {
    // Reported below, as any other cursor this store did not make.
  }
  throw invalid("cursor", "a nextCursor from listSessions", cursor);
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Sets the totals of the given sessions that count no message yet to the sums of their stored messages. */
function recountEmptySessions(
  db: Kysely<Database>,
  keys: readonly Pick<SessionsTable, "bot_id" | "session_id">[],
) {
  const sum = (column: string) =>
    sql<number>`(select coalesce(sum(m.${sql.ref(column)}), 0) from messages m
      where m.bot_id = sessions.bot_id and m.session_id = sessions.session_id)`;
  return db
    .updateTable("sessions")
    .set({
      message_count: sql<number>`(select count(*) from messages m
        where m.bot_id = sessions.bot_id and m.session_id = sessions.session_id)`,
      tokens_input: sum("tokens_input"),
      tokens_output: sum("tokens_output"),
      tokens_cache_read: sum("tokens_cache_read"),
      tokens_cache_write: sum("tokens_cache_write"),
      cost_usd: sum("cost_usd"),
    })
    .where("message_count", "=", 0)
    .where((eb) =>
      eb.or(
        keys.map((k) => eb.and([eb("bot_id", "=", k.bot_id), eb("session_id", "=", k.session_id)])),
      ),
    );
}
