import type { Kysely, Migration } from "kysely";

/** Repair records and maintenance pauses. Records outlive their bot: they are history. */
export function repair(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("repairs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("bot_id", "text", (c) => c.notNull())
        .addColumn("bot_name", "text", (c) => c.notNull())
        .addColumn("trigger", "text", (c) => c.notNull())
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("tier", "integer", (c) => c.notNull())
        .addColumn("started_by", "text", (c) => c.notNull())
        .addColumn("dry_run", "integer", (c) => c.notNull())
        .addColumn("started_at", "text", (c) => c.notNull())
        .addColumn("ended_at", "text")
        .addColumn("data", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("repairs_bot_started")
        .on("repairs")
        .columns(["bot_id", "started_at"])
        .execute();
      await db.schema.createIndex("repairs_started").on("repairs").column("started_at").execute();
      await db.schema
        .createTable("repair_pauses")
        .addColumn("scope", "text", (c) => c.primaryKey())
        .addColumn("paused_by", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("since", "text", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("repair_pauses").execute();
      await db.schema.dropTable("repairs").execute();
    },
  };
}
