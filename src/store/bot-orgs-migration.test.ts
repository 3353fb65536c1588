import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/postgres.js";
import { serviceUrl } from "../../test/helpers/services.js";
import { migrationProvider } from "./migrations/index.js";
import { openPostgresStore } from "./postgres.js";
import type { Dialect } from "./schema.js";
import { openSqliteStore } from "./sqlite.js";
import { FairSqliteDialect } from "./sqlite-dialect.js";
import type { Store } from "./store.js";

/**
 * 009-bot-orgs on a store made before it: registered bots go to the default
 * organisation, and the history of bots removed before then (sessions,
 * repairs, events) is the default organisation's too, nothing lost.
 */
function migrationCase(dialect: Dialect, setup: () => Promise<Database>) {
  it(`moves existing bots and removed bots' history to the default organisation (${dialect})`, async () => {
    const database = await setup();
    try {
      const migrator = new Migrator({
        db: database.raw,
        provider: migrationProvider(dialect),
        migrationTableName: "schema_migrations",
        migrationLockTableName: "schema_migrations_lock",
      });
      const before = await migrator.migrateTo("008-access");
      expect(before.error).toBeUndefined();
      const at = "2026-11-01T10:00:00.000Z";
      await sql`insert into bots (id, name, owner, driver, state_dir, config_path, port, desired_state, labels, openclaw_bin, created_at, updated_at)
        values ('live-id', 'live', 'ops', 'process', '/srv/live', '/srv/live/openclaw.json', 18789, 'running', '{"a":"b"}', null, ${at}, ${at})`.execute(
        database.raw,
      );
      await sql`insert into sessions (bot_id, session_id, bot_name, session_key, agent_id, activity_at, message_count, tokens_input, tokens_output, tokens_cache_read, tokens_cache_write, cost_usd, cost_source, deleted_on_gateway, updated_at)
        values ('gone-id', 's1', 'gone', 'agent:main:main', 'main', ${at}, 0, 0, 0, 0, 0, 0, 'none', 0, ${at})`.execute(
        database.raw,
      );
      await sql`insert into events (ts, bot_id, type, actor, data) values (${at}, 'gone-too', 'bot.removed', 'cli', '{}')`.execute(
        database.raw,
      );
      await database.raw.destroy();

      const store = await database.open();
      try {
        await store.migrate();
        expect(await store.findBot("live")).toMatchObject({
          org: "default",
          owner: "ops",
          port: 18789,
          labels: { a: "b" },
          desiredState: "running",
        });
        const sessions = await store.sessions.listSessions({ org: "default" });
        expect(sessions.sessions.map((s) => s.botId)).toEqual(["gone-id"]);
        const events = await store.listEvents({ org: "default" });
        expect(events.map((e) => e.botId)).toEqual(["gone-too"]);
        await store.access.addOrg("other", at);
        expect((await store.sessions.listSessions({ org: "other" })).sessions).toEqual([]);
        // The column's constraints hold after SQLite's rebuild too.
        await expect(
          store.createBot({
            name: "live",
            owner: null,
            driver: "process",
            stateDir: "/srv/x",
            configPath: "/srv/x/openclaw.json",
            port: 18809,
            desiredState: "stopped",
            labels: {},
            openclawBin: null,
          }),
        ).rejects.toMatchObject({ code: "CONFLICT" });
      } finally {
        await store.close();
      }
    } finally {
      await database.teardown();
    }
  });
}

interface Database {
  raw: Kysely<unknown>;
  open(): Promise<Store>;
  teardown(): Promise<void>;
}

describe("migration 009-bot-orgs", () => {
  migrationCase("sqlite", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "clawops-009-"));
    const file = path.join(dir, "clawops.db");
    const connection = new SqliteDatabase(file);
    connection.pragma("foreign_keys = ON");
    return {
      raw: new Kysely<unknown>({ dialect: new FairSqliteDialect({ database: connection }) }),
      open: async () => openSqliteStore(file),
      teardown: async () => rmSync(dir, { recursive: true, force: true }),
    };
  });

  const pgUrl = serviceUrl("CLAWOPS_TEST_DATABASE_URL", "PostgreSQL");
  if (pgUrl) {
    migrationCase("postgres", async () => {
      const db = await createTestDatabase(pgUrl);
      const pool = new pg.Pool({ connectionString: db.url, max: 1 });
      return {
        raw: new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }),
        open: () => openPostgresStore(db.url, 5_000),
        teardown: () => db.drop(),
      };
    });
  }
});
