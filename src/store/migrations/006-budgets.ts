import { type Kysely, type Migration, sql } from "kysely";
import type { Dialect } from "../schema.js";

/**
 * Budget states: per bot or owner and per window, the period last evaluated,
 * the level announced in it and whether it paused the scope's bots. Keyed by
 * name, not by bot id: budgets are configured by name, and an owner has no id.
 */
export function budgets(dialect: Dialect): Migration {
  const usd = dialect === "postgres" ? "double precision" : "real";
  const key = dialect === "postgres" ? sql`text collate "C"` : sql`text`;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("budget_states")
        .addColumn("scope", key, (c) => c.notNull())
        .addColumn("name", key, (c) => c.notNull())
        .addColumn("period", key, (c) => c.notNull())
        .addColumn("period_start", "text", (c) => c.notNull())
        .addColumn("level", "text", (c) => c.notNull())
        .addColumn("paused", "integer", (c) => c.notNull())
        .addColumn("spent_usd", usd, (c) => c.notNull())
        .addColumn("limit_usd", usd, (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("budget_states_pk", ["scope", "name", "period"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("budget_states").execute();
    },
  };
}
