import { type Kysely, type Migration, sql } from "kysely";
import type { Dialect } from "../schema.js";

/**
 * The vault's records (src/vault/): one row per secret, sealed by envelope
 * encryption. Only ciphertext and the wrapping's metadata: without the KEK
 * named by `kek_id` nothing here is readable. The index on `kek_id` serves
 * `vault status` (records per key) and `vault rotate` (records not yet under
 * the current key).
 */
export function vault(dialect: Dialect): Migration {
  const bytes = dialect === "postgres" ? "bytea" : "blob";
  // Byte order on both databases, so that names list and page the same.
  const key = dialect === "postgres" ? sql`text collate "C"` : sql`text`;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("vault_records")
        .addColumn("name", key, (c) => c.primaryKey())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("kek_id", key, (c) => c.notNull())
        .addColumn("kek_check", "text", (c) => c.notNull())
        .addColumn("key_iv", bytes, (c) => c.notNull())
        .addColumn("wrapped_key", bytes, (c) => c.notNull())
        .addColumn("key_tag", bytes, (c) => c.notNull())
        .addColumn("iv", bytes, (c) => c.notNull())
        .addColumn("ciphertext", bytes, (c) => c.notNull())
        .addColumn("tag", bytes, (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("vault_records_kek_id_name")
        .on("vault_records")
        .columns(["kek_id", "name"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("vault_records").execute();
    },
  };
}
