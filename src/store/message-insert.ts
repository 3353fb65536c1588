import { type Kysely, sql } from "kysely";
import type { Database, Dialect, MessagesTable } from "./schema.js";
import { setImmediate as turn } from "node:timers/promises";
import { valuesPerStatement } from "./transact.js";

/** A stored message's identity, as the insert returns it. */
export interface MessageKey {
  bot_id: string;
  session_id: string;
  seq: number;
}

/**
 * PostgreSQL's type of each message column (as 005-sessions made them), in
 * insert order: on PostgreSQL a batch goes as one array per column.
 */
const PG_TYPES: Record<keyof MessagesTable, string> = {
  bot_id: "text",
  session_id: "text",
  seq: "bigint",
  role: "text",
  text: "text",
  text_bytes: "bigint",
  tool_calls: "text",
  tool_call_id: "text",
  is_error: "integer",
  tokens_input: "bigint",
  tokens_output: "bigint",
  tokens_cache_read: "bigint",
  tokens_cache_write: "bigint",
  cost_usd: "double precision",
  cost_source: "text",
  stop_reason: "text",
  model: "text",
  latency_ms: "bigint",
  at: "text",
};
const COLUMNS = Object.keys(PG_TYPES) as (keyof MessagesTable)[];
/** Rows per PostgreSQL statement: its parameters do not grow with its rows; this bounds its memory. */
const PG_ROWS = 10_000;
/**
 * Rows per SQLite statement. better-sqlite3 runs a statement on the event
 * loop, which the supervisor shares: 100 rows take ~3 ms of it here (a
 * single 1,700-row statement took ~70 ms), and the loop turns between
 * statements.
 */
const SQLITE_ROWS = Math.min(100, valuesPerStatement("sqlite", COLUMNS.length));

/**
 * Inserts the rows, skipping those whose (bot, session, seq) is stored
 * already, and returns the keys of the inserted ones. Several statements
 * for a big batch: run it in a transaction. On SQLite the event loop turns
 * between statements (other queries wait for the transaction meanwhile).
 */
export async function insertMessages(
  db: Kysely<Database>,
  dialect: Dialect,
  rows: readonly MessagesTable[],
): Promise<MessageKey[]> {
  const out: MessageKey[] = [];
  const perStatement = dialect === "postgres" ? PG_ROWS : SQLITE_ROWS;
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    if (dialect === "postgres") out.push(...(await insertByColumn(db, chunk)));
    else {
      if (i > 0) await turn();
      out.push(
        ...(await db
          .insertInto("messages")
          .values(chunk)
          .onConflict((oc) => oc.columns(["bot_id", "session_id", "seq"]).doNothing())
          .returning(["bot_id", "session_id", "seq"])
          .execute()),
      );
    }
  }
  return out;
}

/**
 * PostgreSQL: one array per column, unnested into rows. Against a multi-row
 * VALUES list of 250 messages (4,500 parameters) it took about a quarter
 * less CPU in clawops and a fifth less in the server (no 4,500-parameter
 * statement to parse and plan), and it has no parameter limit.
 */
async function insertByColumn(
  db: Kysely<Database>,
  rows: readonly MessagesTable[],
): Promise<MessageKey[]> {
  const columns = COLUMNS.map((c) => sql.ref(c));
  const arrays = COLUMNS.map((c) => sql`${rows.map((r) => r[c])}::${sql.raw(PG_TYPES[c])}[]`);
  const result = await sql<MessageKey>`insert into messages (${sql.join(columns)})
    select * from unnest(${sql.join(arrays)})
    on conflict (bot_id, session_id, seq) do nothing
    returning bot_id, session_id, seq`.execute(db);
  return result.rows;
}
