import type { CompiledQuery, Kysely } from "kysely";
import type pg from "pg";
import { asStoreError } from "./errors.js";
import { type MessageKey, PG_ROWS, pgInsertMessages } from "./message-insert.js";
import type { Database, MessagesTable } from "./schema.js";
import { type SessionAddition, pgAddToTotals } from "./session-totals.js";

/**
 * Stores new messages and adds those inserted to their sessions' totals, in
 * one transaction; `additionsOf` turns the inserted keys into the additions.
 */
export type WriteNewMessages = (
  rows: readonly MessagesTable[],
  additionsOf: (inserted: readonly MessageKey[]) => readonly SessionAddition[],
) => Promise<void>;

/**
 * PostgreSQL's write of new messages (addMessages without `replace`) on one
 * pooled connection in node-postgres's pipeline mode: BEGIN and the inserts
 * go out together, then the totals and COMMIT together, so a batch waits
 * for the server twice instead of four times (Kysely's transaction sends a
 * statement only when the one before has answered, ~0.4 ms each on a busy
 * 2-core host). Both statements are prepared once per connection (named):
 * the server no longer parses and plans them for every batch. They are the
 * statements the Kysely path runs (`replace`), so both write the same rows.
 */
export function pipelinedMessageWriter(pool: pg.Pool, db: Kysely<Database>): WriteNewMessages {
  return async (rows, additionsOf) => {
    // Built before anything is sent: a row that cannot be encoded sends nothing.
    const inserts: pg.QueryConfig[] = [];
    for (let i = 0; i < rows.length; i += PG_ROWS) {
      const insert = pgInsertMessages(rows.slice(i, i + PG_ROWS)).compile(db);
      inserts.push(named("clawops_insert_messages", insert));
    }
    const client = await pool.connect().catch((error: unknown) => {
      throw asStoreError(error);
    });
    const sent: Promise<unknown>[] = [];
    const send = <R extends pg.QueryResultRow>(query: string | pg.QueryConfig) => {
      const result = client.query<R>(query);
      sent.push(result);
      return result;
    };
    let broken = false;
    try {
      const results = await settled([send("begin"), ...inserts.map((q) => send<MessageKey>(q))]);
      const inserted = results.slice(1).flatMap((r) => r.rows as MessageKey[]);
      const totals = pgAddToTotals(additionsOf(inserted), new Date().toISOString());
      await settled([
        ...(totals ? [send(named("clawops_add_to_totals", totals.compile(db)))] : []),
        send("commit"),
      ]);
    } catch (error) {
      // Nothing sent may be left to reject unobserved. A failed statement aborted the
      // transaction (a COMMIT behind it rolled it back already: ROLLBACK then only warns);
      // a connection that cannot even roll back is dropped.
      await Promise.allSettled(sent);
      await client.query("rollback").catch(() => (broken = true));
      throw asStoreError(error);
    } finally {
      client.release(broken);
    }
  };
}

function named(name: string, query: CompiledQuery): pg.QueryConfig {
  return { name, text: query.sql, values: [...query.parameters] };
}

/**
 * Waits for every statement sent, then throws the first failure in the
 * order sent: the statements behind it failed only because the transaction
 * was aborted already. Awaiting them all leaves no rejection unhandled.
 */
async function settled<T>(sent: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(sent);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
