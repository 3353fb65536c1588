import type { Kysely, Migration } from "kysely";

/**
 * The fleet page's memory sparkline (docs/dashboard.md): each gateway keeps its
 * last resident-memory readings (a JSON array of bytes, oldest first) beside
 * the last one, so every host's daemon and dashboard see the same curve.
 */
export function rssSamples(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // Nullable and without a default: SQLite adds such a column in place, no table rebuild.
      await db.schema.alterTable("gateway_instances").addColumn("rss_samples", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("gateway_instances").dropColumn("rss_samples").execute();
    },
  };
}
