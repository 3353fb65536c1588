import { type Kysely, type RawBuilder, type SqlBool, sql } from "kysely";
import type { Database, Dialect } from "./schema.js";

/**
 * The ids of an organisation's bots, removed ones included (their history
 * stays theirs), as a subquery for `bot_id in (...)`: the database reads the
 * organisation's few bot ids once per query, never once per row.
 */
export function orgBotIds(db: Kysely<Database>, org: string) {
  return db
    .selectFrom("bots")
    .select("id")
    .where("org", "=", org)
    .unionAll(db.selectFrom("removed_bots").select("bot_id as id").where("org", "=", org));
}

/**
 * `column in (the organisation's bot ids)`. On SQLite the column is written
 * `+column`: without statistics SQLite would drive the query from that list
 * (every row of the organisation's bots read, then sorted or filtered by
 * time) instead of the query's own order or time-range index, which it
 * keeps this way, checking each row against the list built once.
 */
export function inOrg(
  db: Kysely<Database>,
  dialect: Dialect,
  column: "bot_id" | "m.bot_id",
  org: string,
): RawBuilder<SqlBool> {
  const ids = orgBotIds(db, org);
  return dialect === "sqlite"
    ? sql<SqlBool>`+${sql.ref(column)} in (${ids})`
    : sql<SqlBool>`${sql.ref(column)} in (${ids})`;
}
