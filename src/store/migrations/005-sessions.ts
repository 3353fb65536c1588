import { type Kysely, type Migration, sql } from "kysely";
import type { Dialect } from "../schema.js";

/**
 * Sessions, their messages and the ingest's catch-up cursors. Nothing here
 * references `bots`: conversations and their cost are history that outlives
 * the bot (removing a bot never deletes them).
 */
export function sessions(dialect: Dialect): Migration {
  // PostgreSQL's integer is 32-bit: a long session's cached tokens pass 2^31.
  const big = dialect === "postgres" ? "bigint" : "integer";
  // Both 8-byte doubles (SQLite's real is one): the same sums on either store.
  const usd = dialect === "postgres" ? "double precision" : "real";
  // Keys and sort columns compare bytes on PostgreSQL as on SQLite: the same
  // order (keyset paging) on both, and memcmp instead of the locale's strcoll.
  const key = dialect === "postgres" ? sql`text collate "C"` : sql`text`;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("sessions")
        .addColumn("bot_id", key, (c) => c.notNull())
        .addColumn("session_id", key, (c) => c.notNull())
        .addColumn("bot_name", "text", (c) => c.notNull())
        .addColumn("session_key", "text", (c) => c.notNull())
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("channel", "text")
        .addColumn("peer", "text")
        .addColumn("model_configured", "text")
        .addColumn("model_used", "text")
        .addColumn("status", "text")
        .addColumn("started_at", "text")
        .addColumn("last_activity_at", "text")
        .addColumn("activity_at", key, (c) => c.notNull())
        .addColumn("message_count", big, (c) => c.notNull())
        .addColumn("tokens_input", big, (c) => c.notNull())
        .addColumn("tokens_output", big, (c) => c.notNull())
        .addColumn("tokens_cache_read", big, (c) => c.notNull())
        .addColumn("tokens_cache_write", big, (c) => c.notNull())
        .addColumn("cost_usd", usd, (c) => c.notNull())
        .addColumn("cost_source", "text", (c) => c.notNull())
        .addColumn("deleted_on_gateway", "integer", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("sessions_pk", ["bot_id", "session_id"])
        .execute();
      // The keyset order of listSessions, fleet-wide and per bot.
      await db.schema
        .createIndex("sessions_activity")
        .on("sessions")
        .columns(["activity_at", "bot_id", "session_id"])
        .execute();
      await db.schema
        .createIndex("sessions_bot_activity")
        .on("sessions")
        .columns(["bot_id", "activity_at", "session_id"])
        .execute();

      await db.schema
        .createTable("messages")
        .addColumn("bot_id", key, (c) => c.notNull())
        .addColumn("session_id", key, (c) => c.notNull())
        .addColumn("seq", big, (c) => c.notNull())
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("text", "text", (c) => c.notNull())
        .addColumn("text_bytes", big, (c) => c.notNull())
        .addColumn("tool_calls", "text", (c) => c.notNull())
        .addColumn("tool_call_id", "text")
        .addColumn("is_error", "integer", (c) => c.notNull())
        .addColumn("tokens_input", big)
        .addColumn("tokens_output", big)
        .addColumn("tokens_cache_read", big)
        .addColumn("tokens_cache_write", big)
        .addColumn("cost_usd", usd)
        .addColumn("cost_source", "text")
        .addColumn("stop_reason", "text")
        .addColumn("model", "text")
        .addColumn("latency_ms", big)
        .addColumn("at", key, (c) => c.notNull())
        .addPrimaryKeyConstraint("messages_pk", ["bot_id", "session_id", "seq"])
        .execute();
      // Cost over a time range, and retention, scan by time.
      await db.schema.createIndex("messages_at").on("messages").column("at").execute();

      await db.schema
        .createTable("ingest_cursors")
        .addColumn("bot_id", key, (c) => c.notNull())
        .addColumn("scope", key, (c) => c.notNull())
        .addColumn("cursor", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("ingest_cursors_pk", ["bot_id", "scope"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("ingest_cursors").execute();
      await db.schema.dropTable("messages").execute();
      await db.schema.dropTable("sessions").execute();
    },
  };
}
