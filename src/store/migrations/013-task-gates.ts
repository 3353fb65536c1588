import type { Kysely, Migration } from "kysely";

/**
 * Gates for high-risk tasks (docs/tasks.md "Gates"): `tasks.gate` keeps a
 * task's approval (JSON: state, what asked for it, who decided and when);
 * null for a task no gate held, as every task before this migration.
 */
export function taskGates(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // Nullable and without a default: SQLite adds such a column in place, no table rebuild.
      await db.schema.alterTable("tasks").addColumn("gate", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("tasks").dropColumn("gate").execute();
    },
  };
}
