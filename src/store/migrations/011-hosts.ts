import { type Kysely, type Migration, sql } from "kysely";
import type { Dialect } from "../schema.js";

/**
 * Several hosts, one fleet (docs/hosts.md): `hosts` has a row per daemon
 * host (its API address and the last time it reported), and `bots.host_id`
 * names the host that runs a bot's gateway. Existing bots get no host here:
 * the first daemon to start claims them for its own (`hosts.claimUnowned`).
 * No foreign key from bots to hosts: a bot registered by the CLI before its
 * host's daemon ever ran is still valid.
 */
export function hosts(dialect: Dialect): Migration {
  const key = dialect === "postgres" ? sql`text collate "C"` : sql`text`;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("hosts")
        .ifNotExists()
        .addColumn("id", key, (c) => c.primaryKey())
        .addColumn("api_url", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("started_at", "text", (c) => c.notNull())
        .addColumn("last_seen_at", "text", (c) => c.notNull())
        .execute();
      // Nullable and without a default: SQLite adds such a column in place, no table rebuild.
      await db.schema.alterTable("bots").addColumn("host_id", key).execute();
      await db.schema.createIndex("bots_host").ifNotExists().on("bots").column("host_id").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("bots_host").execute();
      await db.schema.alterTable("bots").dropColumn("host_id").execute();
      await db.schema.dropTable("hosts").execute();
    },
  };
}
