import type { Kysely, Migration } from "kysely";
import type { Dialect } from "../schema.js";

export function initial(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("bots")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("owner", "text")
        .addColumn("driver", "text", (c) => c.notNull())
        .addColumn("state_dir", "text", (c) => c.notNull().unique())
        .addColumn("config_path", "text", (c) => c.notNull())
        .addColumn("port", "integer", (c) => c.notNull().unique())
        .addColumn("desired_state", "text", (c) => c.notNull())
        .addColumn("labels", "text", (c) => c.notNull().defaultTo("{}"))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();

      let events = db.schema.createTable("events");
      events =
        dialect === "postgres"
          ? events.addColumn("id", "bigserial", (c) => c.primaryKey())
          : events.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
      await events
        .addColumn("ts", "text", (c) => c.notNull())
        .addColumn("bot_id", "text")
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull().defaultTo("{}"))
        .execute();
      await db.schema
        .createIndex("events_bot_id_id")
        .on("events")
        .columns(["bot_id", "id"])
        .execute();
      await db.schema.createIndex("events_type_id").on("events").columns(["type", "id"]).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("events").execute();
      await db.schema.dropTable("bots").execute();
    },
  };
}
