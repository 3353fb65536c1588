import type { Kysely, Migration } from "kysely";
import type { Dialect } from "../schema.js";

/** The supervisor's persisted gateway state, and a per-bot openclaw binary. */
export function supervisor(dialect: Dialect): Migration {
  const big = dialect === "postgres" ? "bigint" : "integer";
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("bots").addColumn("openclaw_bin", "text").execute();
      await db.schema
        .createTable("gateway_instances")
        .addColumn("bot_id", "text", (c) => c.primaryKey())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("pid", "integer")
        .addColumn("pid_start_time", big)
        .addColumn("started_at", "text")
        .addColumn("state_since", "text", (c) => c.notNull())
        .addColumn("version", "text")
        .addColumn("restarts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("recent_failures", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("last_exit", "text")
        .addColumn("rss_bytes", big)
        .addColumn("ready", "integer")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("gateway_instances").execute();
      await db.schema.alterTable("bots").dropColumn("openclaw_bin").execute();
    },
  };
}
