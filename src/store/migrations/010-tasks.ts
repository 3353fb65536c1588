import { type Kysely, type Migration, sql } from "kysely";
import type { Dialect } from "../schema.js";

/**
 * Tasks (Mission Control): the cards, each attempt's run, and the schedules
 * that make tasks unattended. Like sessions, tasks reference no bot by a
 * foreign key: they are history that outlives the bot. A task's tokens and
 * cost are read from the sessions of its attempts' keys: `sessions_bot_key`
 * finds them.
 */
export function tasks(dialect: Dialect): Migration {
  const big = dialect === "postgres" ? "bigint" : "integer";
  const usd = dialect === "postgres" ? "double precision" : "real";
  const key = dialect === "postgres" ? sql`text collate "C"` : sql`text`;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("tasks")
        .addColumn("id", key, (c) => c.primaryKey())
        .addColumn("bot_id", key, (c) => c.notNull())
        .addColumn("bot_name", "text", (c) => c.notNull())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("prompt", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("outcome", "text")
        .addColumn("review", "integer", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("max_attempts", "integer", (c) => c.notNull())
        .addColumn("time_limit_ms", big, (c) => c.notNull())
        .addColumn("session_key", "text")
        .addColumn("schedule_id", key)
        .addColumn("error", "text")
        .addColumn("tokens_input", big, (c) => c.notNull())
        .addColumn("tokens_output", big, (c) => c.notNull())
        .addColumn("tokens_cache_read", big, (c) => c.notNull())
        .addColumn("tokens_cache_write", big, (c) => c.notNull())
        .addColumn("cost_usd", usd, (c) => c.notNull())
        .addColumn("next_attempt_at", key)
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", key, (c) => c.notNull())
        .addColumn("started_at", "text")
        .addColumn("finished_at", key)
        .addColumn("duration_ms", big)
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      // The board (per bot, newest first), the dispatcher (assigned ones) and a schedule's history.
      await db.schema
        .createIndex("tasks_bot_created")
        .on("tasks")
        .columns(["bot_id", "created_at", "id"])
        .execute();
      await db.schema
        .createIndex("tasks_created")
        .on("tasks")
        .columns(["created_at", "id"])
        .execute();
      await db.schema.createIndex("tasks_status").on("tasks").columns(["status"]).execute();
      await db.schema
        .createIndex("tasks_schedule")
        .on("tasks")
        .columns(["schedule_id", "created_at"])
        .execute();

      await db.schema
        .createTable("task_runs")
        .addColumn("task_id", key, (c) => c.notNull())
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("session_key", "text", (c) => c.notNull())
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("error", "text")
        .addColumn("tokens_input", big, (c) => c.notNull())
        .addColumn("tokens_output", big, (c) => c.notNull())
        .addColumn("tokens_cache_read", big, (c) => c.notNull())
        .addColumn("tokens_cache_write", big, (c) => c.notNull())
        .addColumn("cost_usd", usd, (c) => c.notNull())
        .addColumn("started_at", "text", (c) => c.notNull())
        .addColumn("finished_at", "text")
        .addColumn("duration_ms", big)
        .addPrimaryKeyConstraint("task_runs_pk", ["task_id", "attempt"])
        .execute();

      await db.schema
        .createTable("task_schedules")
        .addColumn("id", key, (c) => c.primaryKey())
        .addColumn("bot_id", key, (c) => c.notNull())
        .addColumn("bot_name", "text", (c) => c.notNull())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("prompt", "text", (c) => c.notNull())
        .addColumn("every_ms", big, (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("time_limit_ms", big, (c) => c.notNull())
        .addColumn("max_attempts", "integer", (c) => c.notNull())
        .addColumn("last_run_at", "text")
        .addColumn("next_run_at", key, (c) => c.notNull())
        .addColumn("last_task_id", "text")
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", key, (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("task_schedules_due")
        .on("task_schedules")
        .columns(["enabled", "next_run_at"])
        .execute();

      await db.schema
        .createIndex("sessions_bot_key")
        .on("sessions")
        .columns(["bot_id", "session_key"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("sessions_bot_key").execute();
      await db.schema.dropTable("task_schedules").execute();
      await db.schema.dropTable("task_runs").execute();
      await db.schema.dropTable("tasks").execute();
    },
  };
}
