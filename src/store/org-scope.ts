import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

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
