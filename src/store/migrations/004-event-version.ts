import type { Kysely, Migration } from "kysely";

/**
 * Each event keeps the version of its type's schema it was published with
 * (core/events.ts): a consumer of history can tell an old shape from a new
 * one. Events written before the catalogue are version 1.
 */
export function eventVersion(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("events")
        .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("events").dropColumn("version").execute();
    },
  };
}
