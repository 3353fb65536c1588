import type SqliteDatabase from "better-sqlite3";
import { type Kysely, type Selectable, sql } from "kysely";
import type { Database, MessagesTable } from "./schema.js";
import { setImmediate as turn } from "node:timers/promises";
import { valuesPerStatement } from "./transact.js";
import { type BinaryElement, binaryArrays } from "./pg-binary.js";

/** A stored message's identity, as the insert returns it. */
export interface MessageKey {
  bot_id: string;
  session_id: string;
  seq: number;
}

/**
 * PostgreSQL's type of each message column (as 005-sessions made them), in
 * insert order: on PostgreSQL a batch goes as one binary array per column.
 */
const PG_TYPES: Record<keyof MessagesTable, BinaryElement> = {
  bot_id: "text",
  session_id: "text",
  seq: "int8",
  role: "text",
  text: "text",
  text_bytes: "int8",
  tool_calls: "text",
  tool_call_id: "text",
  is_error: "int4",
  tokens_input: "int8",
  tokens_output: "int8",
  tokens_cache_read: "int8",
  tokens_cache_write: "int8",
  cost_usd: "float8",
  cost_source: "text",
  stop_reason: "text",
  model: "text",
  latency_ms: "int8",
  at: "text",
};
const COLUMNS = Object.keys(PG_TYPES) as (keyof MessagesTable)[];
/** Rows per PostgreSQL statement: its parameters do not grow with its rows; this bounds its memory. */
export const PG_ROWS = 10_000;
/**
 * Rows per SQLite statement. better-sqlite3 runs a statement on the event
 * loop, which the supervisor shares: 50 rows take ~1.5 ms of it here (a
 * single 1,700-row statement took ~70 ms), and the loop turns between
 * statements. With the statements prepared once, 50 rows a statement cost
 * no more than 100 did.
 */
const SQLITE_ROWS = Math.min(50, valuesPerStatement("sqlite", COLUMNS.length));

/**
 * Inserts the rows, skipping those whose (bot, session, seq) is stored
 * already, and returns the keys of the inserted ones. Several statements
 * for a big batch: run it in a transaction (`db` is that transaction; on
 * SQLite the statements run on the store's one connection, which the
 * transaction holds). On SQLite the event loop turns between statements
 * (other queries wait for the transaction meanwhile).
 */
export type InsertMessages = (
  db: Kysely<Database>,
  rows: readonly MessagesTable[],
) => Promise<MessageKey[]>;

/** The store's way of inserting messages: PostgreSQL by column arrays, SQLite through statements prepared once. */
export function messageInserter(
  target: { dialect: "postgres" } | { dialect: "sqlite"; connection: SqliteDatabase.Database },
): InsertMessages {
  if (target.dialect === "sqlite") return sqliteInserter(target.connection);
  return async (db, rows) => {
    const out: MessageKey[] = [];
    for (let i = 0; i < rows.length; i += PG_ROWS)
      out.push(...(await pgInsertMessages(rows.slice(i, i + PG_ROWS)).execute(db)).rows);
    return out;
  };
}

/**
 * SQLite: a multi-row INSERT ... RETURNING prepared once per row count (at
 * most SQLITE_ROWS of them) and kept for the store's life. Built through
 * Kysely, each 100-row statement was compiled and prepared anew: 1,900
 * parameters parsed, and better-sqlite3's prepare took about as long as the
 * insert itself (~45 % of a live batch's CPU together).
 */
function sqliteInserter(connection: SqliteDatabase.Database): InsertMessages {
  const statements = new Map<number, SqliteDatabase.Statement>();
  const row = `(${COLUMNS.map(() => "?").join(", ")})`;
  const statementFor = (count: number) => {
    let statement = statements.get(count);
    if (!statement) {
      statement = connection.prepare(
        `insert into messages (${COLUMNS.join(", ")}) values ${Array(count).fill(row).join(", ")}
         on conflict (bot_id, session_id, seq) do nothing returning bot_id, session_id, seq`,
      );
      statements.set(count, statement);
    }
    return statement;
  };
  return async (_db, rows) => {
    const out: MessageKey[] = [];
    for (let i = 0; i < rows.length; i += SQLITE_ROWS) {
      if (i > 0) await turn();
      const chunk = rows.slice(i, i + SQLITE_ROWS);
      const values: unknown[] = [];
      for (const r of chunk) for (const column of COLUMNS) values.push(r[column]);
      out.push(...(statementFor(chunk.length).all(values) as MessageKey[]));
    }
    return out;
  };
}

/**
 * PostgreSQL: one binary array per column (pg-binary.ts), unnested into
 * rows. Against a multi-row VALUES list of 250 messages (4,500 parameters)
 * arrays took about a quarter less CPU in clawops and a fifth less in the
 * server (no 4,500-parameter statement to parse and plan), and they have no
 * parameter limit. The unnests stand in the select list, not in FROM: there
 * they run in step (ProjectSet), where `from unnest(...)` first copies every
 * row into a tuplestore (~10 % of the server's time on the insert).
 */
export function pgInsertMessages(rows: readonly MessagesTable[]) {
  const arrays = binaryArrays(COLUMNS.map((c) => [PG_TYPES[c], rows.map((r) => r[c])]));
  const unnests = COLUMNS.map((c, i) => sql`unnest(${arrays[i]}::${sql.raw(PG_TYPES[c])}[])`);
  return sql<MessageKey>`insert into messages (${sql.join(COLUMNS.map((c) => sql.ref(c)))})
    select ${sql.join(unnests)}
    on conflict (bot_id, session_id, seq) do nothing
    returning bot_id, session_id, seq`;
}

/** Seqs per `IN (...)` list when looking up stored rows. */
const SEQ_CHUNK = 1_000;

/**
 * Deletes the stored rows that `rows` bring with other content, and returns
 * them (their usage is to be taken back from their sessions' totals); rows
 * stored with the same content stay, so that inserting `rows` afterwards
 * writes only what is new or changed. Run it in the insert's transaction.
 */
export async function removeChanged(
  db: Kysely<Database>,
  rows: readonly MessagesTable[],
): Promise<Selectable<MessagesTable>[]> {
  const bySession = new Map<string, MessagesTable[]>();
  for (const row of rows) {
    const key = `${row.bot_id}\0${row.session_id}`;
    const list = bySession.get(key) ?? [];
    list.push(row);
    bySession.set(key, list);
  }
  const removed: Selectable<MessagesTable>[] = [];
  for (const list of bySession.values()) {
    const { bot_id: botId, session_id: sessionId } = list[0]!;
    const incoming = new Map(list.map((r) => [Number(r.seq), r]));
    const seqs = [...incoming.keys()];
    for (let i = 0; i < seqs.length; i += SEQ_CHUNK) {
      const stored = await db
        .selectFrom("messages")
        .selectAll()
        .where("bot_id", "=", botId)
        .where("session_id", "=", sessionId)
        .where("seq", "in", seqs.slice(i, i + SEQ_CHUNK))
        .execute();
      const changed = stored.filter((s) => !sameMessage(s, incoming.get(Number(s.seq))!));
      if (changed.length === 0) continue;
      await db
        .deleteFrom("messages")
        .where("bot_id", "=", botId)
        .where("session_id", "=", sessionId)
        .where(
          "seq",
          "in",
          changed.map((s) => s.seq),
        )
        .execute();
      removed.push(...changed);
    }
  }
  return removed;
}

/** A stored row and an incoming one hold the same message (numbers compared as numbers: PostgreSQL's bigint comes back as text). */
function sameMessage(stored: Selectable<MessagesTable>, incoming: MessagesTable): boolean {
  return COLUMNS.every((c) => {
    const a = stored[c];
    const b = incoming[c];
    if (a === null || b === null) return a === b;
    return typeof a === "string" && typeof b === "string" ? a === b : Number(a) === Number(b);
  });
}
