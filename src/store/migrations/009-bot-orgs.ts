import { type Kysely, type Migration, sql } from "kysely";
import type { Dialect } from "../schema.js";

/**
 * Organisations scope bots: `bots.org` references `orgs.name` (every bot
 * registered before goes to `default`), and `removed_bots` keeps a removed
 * bot's organisation, so that its history (events, repairs, sessions, cost),
 * which outlives it, stays its organisation's. History of bots removed before
 * this migration (found in sessions, repairs and events) goes to `default`.
 */
export function botOrgs(dialect: Dialect): Migration {
  const key = dialect === "postgres" ? sql`text collate "C"` : sql`text`;
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === "postgres") {
        await db.schema
          .alterTable("bots")
          .addColumn("org", key, (c) => c.notNull().defaultTo("default").references("orgs.name"))
          .execute();
      } else {
        // SQLite adds no column with both a foreign key and a default: the table is rebuilt.
        await rebuildSqliteBots(db, true);
      }
      // Again after a failed try on SQLite, whose migrations are not one transaction.
      await db.schema.createIndex("bots_org").ifNotExists().on("bots").column("org").execute();
      await db.schema
        .createTable("removed_bots")
        .ifNotExists()
        .addColumn("bot_id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("org", key, (c) => c.notNull().references("orgs.name"))
        .addColumn("removed_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("removed_bots_org")
        .ifNotExists()
        .on("removed_bots")
        .column("org")
        .execute();
      await sql`
        insert into removed_bots (bot_id, name, org, removed_at)
        select h.bot_id, coalesce(max(h.name), h.bot_id), 'default', ${new Date().toISOString()}
        from (
          select distinct bot_id, bot_name as name from sessions
          union all select distinct bot_id, bot_name as name from repairs
          union all select distinct bot_id, cast(null as text) as name from events
            where bot_id is not null
        ) h
        where h.bot_id not in (select id from bots)
          and h.bot_id not in (select bot_id from removed_bots)
        group by h.bot_id`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("removed_bots").execute();
      await db.schema.dropIndex("bots_org").execute();
      if (dialect === "postgres") await db.schema.alterTable("bots").dropColumn("org").execute();
      else await rebuildSqliteBots(db, false);
    },
  };
}

/** The columns of `bots` as 001 and 002 made them, in order. */
const COLUMNS = sql.raw(
  "id, name, owner, driver, state_dir, config_path, port, desired_state, labels, openclaw_bin, created_at, updated_at",
);

/**
 * SQLite's way to change a column's constraints: a new table, the rows
 * copied, renamed; in one transaction (SQLite's DDL is transactional), so
 * that a crash half-way leaves the registry as it was.
 */
async function rebuildSqliteBots(db: Kysely<unknown>, withOrg: boolean): Promise<void> {
  await db.transaction().execute((tx) => copyBots(tx, withOrg));
}

async function copyBots(db: Kysely<unknown>, withOrg: boolean): Promise<void> {
  await sql`create table bots_next (
    id text primary key,
    name text not null unique,
    owner text,
    driver text not null,
    state_dir text not null unique,
    config_path text not null,
    port integer not null unique,
    desired_state text not null,
    labels text not null default '{}',
    openclaw_bin text,
    created_at text not null,
    updated_at text not null
    ${withOrg ? sql`, org text not null default 'default' references orgs(name)` : sql``}
  )`.execute(db);
  await sql`insert into bots_next (${COLUMNS}) select ${COLUMNS} from bots`.execute(db);
  await sql`drop table bots`.execute(db);
  await sql`alter table bots_next rename to bots`.execute(db);
}
