import { type Kysely, type RawBuilder, sql } from "kysely";
import type { MessageRecord, Usage } from "../core/session.js";
import type { Database, Dialect } from "./schema.js";
import { valuesPerStatement } from "./transact.js";
import { type BinaryElement, binaryArrays } from "./pg-binary.js";

/** What newly stored messages add to their session's totals: their count and usage summed. */
export interface SessionAddition extends Usage {
  botId: string;
  sessionId: string;
  messages: number;
  /** The model of the last assistant message that names one; null: unchanged. */
  modelUsed: string | null;
  /** The cost source of the last message with usage; null: unchanged. */
  costSource: string | null;
  /** The latest message time (UTC ISO 8601). */
  lastActivityAt: string;
}

/**
 * The messages (stored for the first time, in input order) folded per
 * session: clawops's totals are the sums of the messages it keeps, so a
 * replay, which stores nothing, adds nothing. `replaced` are stored
 * messages that `added` took the place of: their count and usage are taken
 * back.
 */
export function resolveAdditions(
  added: readonly MessageRecord[],
  replaced: readonly MessageRecord[] = [],
): SessionAddition[] {
  const bySession = new Map<string, SessionAddition>();
  const entries = [...added.map((m) => [m, 1] as const), ...replaced.map((m) => [m, -1] as const)];
  for (const [m, sign] of entries) {
    const key = `${m.botId}\0${m.sessionId}`;
    let a = bySession.get(key);
    if (!a) {
      a = {
        botId: m.botId,
        sessionId: m.sessionId,
        messages: 0,
        input: 0,
        output: 0,
        cacheRead: 0,
        cacheWrite: 0,
        costUsd: 0,
        modelUsed: null,
        costSource: null,
        lastActivityAt: m.at,
      };
      bySession.set(key, a);
    }
    a.messages += sign;
    if (m.usage) {
      a.input += sign * m.usage.input;
      a.output += sign * m.usage.output;
      a.cacheRead += sign * m.usage.cacheRead;
      a.cacheWrite += sign * m.usage.cacheWrite;
      a.costUsd += sign * m.usage.costUsd;
      if (sign > 0) a.costSource = m.costSource ?? a.costSource;
    }
    if (sign < 0) continue;
    if (m.role === "assistant" && m.model) a.modelUsed = m.model;
    if (m.at > a.lastActivityAt) a.lastActivityAt = m.at;
  }
  return [...bySession.values()];
}

/** The additions' columns in `updateTotals`'s order, with their PostgreSQL types. */
const ADDITION_TYPES: readonly (readonly [
  BinaryElement,
  (a: SessionAddition) => string | number | null,
])[] = [
  ["text", (a) => a.botId],
  ["text", (a) => a.sessionId],
  ["int8", (a) => a.messages],
  ["int8", (a) => a.input],
  ["int8", (a) => a.output],
  ["int8", (a) => a.cacheRead],
  ["int8", (a) => a.cacheWrite],
  ["float8", (a) => a.costUsd],
  ["text", (a) => a.modelUsed],
  ["text", (a) => a.costSource],
  ["text", (a) => a.lastActivityAt],
];

/**
 * Adds to the stored sessions' totals in place (`message_count =
 * message_count + n`, ...), never by reading and writing back: a session
 * saved meanwhile keeps what was added. Sessions not stored are left alone.
 * Run it in the transaction that stored the messages, so that a crash
 * cannot keep the messages without their count, or count them twice.
 */
export async function addToSessionTotals(
  db: Kysely<Database>,
  dialect: Dialect,
  additions: readonly SessionAddition[],
  now: string,
): Promise<void> {
  if (dialect === "postgres") {
    await pgAddToTotals(additions, now)?.execute(db);
    return;
  }
  const perStatement = valuesPerStatement(dialect, ADDITION_TYPES.length);
  for (let i = 0; i < additions.length; i += perStatement) {
    await updateTotals(valuesOf(additions.slice(i, i + perStatement)), now).execute(db);
  }
}

/**
 * PostgreSQL's one statement for all the additions (null: none), with one
 * binary array per column: 11 parameters whatever the count, where a VALUES
 * list of a live batch's 50 sessions (550 parameters) took ~20 % of the
 * server's time on the batch in parse, analysis and planning alone.
 */
export function pgAddToTotals(additions: readonly SessionAddition[], now: string) {
  if (additions.length === 0) return null;
  // In key order: the update locks the sessions as it walks these rows (a nested loop
  // over a few), so concurrent batches adding to the same sessions take their locks in
  // one order and cannot deadlock.
  const sorted = [...additions].sort(byKey);
  const arrays = binaryArrays(ADDITION_TYPES.map(([type, pick]) => [type, sorted.map(pick)]));
  const typed = arrays.map((a, i) => sql`${a}::${sql.raw(ADDITION_TYPES[i]![0])}[]`);
  const source = sql`select * from unnest(${sql.join(typed)})`;
  return updateTotals(source, now);
}

function byKey(a: SessionAddition, b: SessionAddition): number {
  if (a.botId !== b.botId) return a.botId < b.botId ? -1 : 1;
  return a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0;
}

/** The update from `source`, rows of the 11 columns named below. */
function updateTotals(source: RawBuilder<unknown>, now: string) {
  const latest = sql`case when sessions.last_activity_at is null
    or sessions.last_activity_at < v.last_at then v.last_at else sessions.last_activity_at end`;
  return sql`with v (bot_id, session_id, n, input, output, cache_read, cache_write, cost,
      model, cost_source, last_at) as (${source})
    update sessions set
      message_count = sessions.message_count + v.n,
      tokens_input = sessions.tokens_input + v.input,
      tokens_output = sessions.tokens_output + v.output,
      tokens_cache_read = sessions.tokens_cache_read + v.cache_read,
      tokens_cache_write = sessions.tokens_cache_write + v.cache_write,
      cost_usd = sessions.cost_usd + v.cost,
      model_used = coalesce(v.model, sessions.model_used),
      cost_source = coalesce(v.cost_source, sessions.cost_source),
      last_activity_at = ${latest},
      activity_at = ${latest},
      updated_at = ${now}
    from v
    where sessions.bot_id = v.bot_id and sessions.session_id = v.session_id`;
}

/** SQLite: the additions as a VALUES list, each value cast to its column's type. */
function valuesOf(additions: readonly SessionAddition[]) {
  const rows = additions.map(
    (a) =>
      sql`(cast(${a.botId} as text), cast(${a.sessionId} as text), cast(${a.messages} as bigint),
        cast(${a.input} as bigint), cast(${a.output} as bigint), cast(${a.cacheRead} as bigint),
        cast(${a.cacheWrite} as bigint), cast(${a.costUsd} as double precision),
        cast(${a.modelUsed} as text), cast(${a.costSource} as text), cast(${a.lastActivityAt} as text))`,
  );
  return sql`values ${sql.join(rows)}`;
}
