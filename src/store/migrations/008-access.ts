import { type Kysely, type Migration, sql } from "kysely";
import type { Dialect } from "../schema.js";

/**
 * Team access (src/access/): organisations, users, API tokens, dashboard
 * logins and the audit trail. Secrets are stored hashed only (a password's
 * scrypt, a token's or cookie's SHA-256). One live token per name in an
 * organisation; revoked tokens stay, for the audit trail's sake.
 */
export function access(dialect: Dialect): Migration {
  const key = dialect === "postgres" ? sql`text collate "C"` : sql`text`;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("orgs")
        .addColumn("name", key, (c) => c.primaryKey())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("users")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", key, (c) => c.notNull().unique())
        .addColumn("org", key, (c) => c.notNull().references("orgs.name"))
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("password_hash", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("api_tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", key, (c) => c.notNull())
        .addColumn("org", key, (c) => c.notNull().references("orgs.name"))
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("user_id", "text")
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("secret_hash", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("expires_at", "text")
        .addColumn("revoked_at", "text")
        .addColumn("last_used_at", "text")
        .execute();
      await db.schema
        .createIndex("api_tokens_live_name")
        .on("api_tokens")
        .columns(["org", "name"])
        .unique()
        .where(sql.ref("revoked_at"), "is", null)
        .execute();
      await db.schema
        .createTable("login_sessions")
        .addColumn("id_hash", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("csrf_token", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("expires_at", "text", (c) => c.notNull())
        .execute();
      const audit = db.schema.createTable("audit_log");
      await (
        dialect === "postgres"
          ? audit.addColumn("id", "bigserial", (c) => c.primaryKey())
          : audit.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
      )
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("org", key)
        .addColumn("method", "text", (c) => c.notNull())
        .addColumn("route", "text", (c) => c.notNull())
        .addColumn("target", "text")
        .addColumn("status", "integer", (c) => c.notNull())
        .addColumn("request_id", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("audit_log_at").on("audit_log").column("at").execute();
      await db
        .insertInto("orgs" as never)
        .values({ name: "default", created_at: new Date().toISOString() })
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ["audit_log", "login_sessions", "api_tokens", "users", "orgs"])
        await db.schema.dropTable(table).execute();
    },
  };
}
