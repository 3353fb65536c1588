import { randomUUID } from "node:crypto";
import { type Kysely, Migrator, type RawBuilder, type Transaction, sql } from "kysely";
import { DEFAULT_ORG } from "../core/access.js";
import type { Bot, BotPatch } from "../core/bot.js";
import { OpsError, errorMessage } from "../core/errors.js";
import type { OpsEvent, StoredEventInput } from "../core/events.js";
import type { GatewayInstance } from "../core/gateway-state.js";
import type { RepairPause, RepairRecord } from "../core/repair.js";
import type SqliteDatabase from "better-sqlite3";
import type pg from "pg";
import { messageInserter } from "./message-insert.js";
import { migrationProvider } from "./migrations/index.js";
import { pipelinedMessageWriter } from "./pg-message-write.js";
import {
  fromInstance,
  fromPause,
  fromRepair,
  pauseScope,
  toBot,
  toEvent,
  toInstance,
  toPause,
  toRepair,
} from "./rows.js";
import type { BotsTable, Database, Dialect } from "./schema.js";
import type { BudgetStore } from "./budget-store.js";
import { KyselyBudgetStore } from "./kysely-budget-store.js";
import { KyselySessionStore } from "./kysely-session-store.js";
import type { SessionStore } from "./session-store.js";
import type { AccessStore } from "./access-store.js";
import { KyselyAccessStore } from "./kysely-access-store.js";
import { KyselyVaultStore } from "./kysely-vault-store.js";
import { KyselyTaskStore } from "./kysely-task-store.js";
import type { TaskStore } from "./task-store.js";
import type { HostStore } from "./host-store.js";
import { KyselyHostStore } from "./kysely-host-store.js";
import type { VaultStore } from "./vault-store.js";
import { isForeignKeyViolation } from "./errors.js";
import { inOrg } from "./org-scope.js";
import type { BotQuery, EventQuery, MigrationReport, NewBot, RepairQuery, Store } from "./store.js";
import { transact } from "./transact.js";

const UNIQUE_FIELDS = [
  { column: "name", field: "name" },
  { column: "port", field: "port" },
  { column: "state_dir", field: "stateDir" },
] as const;

/** The one Store implementation; the dialect only changes how Kysely connects. */
export class KyselyStore implements Store {
  readonly sessions: SessionStore;
  readonly budgets: BudgetStore;
  readonly vault: VaultStore;
  readonly access: AccessStore;
  readonly tasks: TaskStore;
  readonly hosts: HostStore;

  /**
   * `native` is the driver under Kysely: SQLite's connection (required on
   * SQLite: the message insert runs statements prepared on it once), or
   * PostgreSQL's pool (new messages are written pipelined on one of its
   * connections; without it, through Kysely's transaction).
   */
  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    readonly location: string,
    native?: { sqlite: SqliteDatabase.Database } | { pool: pg.Pool },
  ) {
    const sqlite = native && "sqlite" in native ? native.sqlite : null;
    if (dialect === "sqlite" && !sqlite) throw new Error("a SQLite store needs its connection");
    const insert = messageInserter(
      sqlite ? { dialect: "sqlite", connection: sqlite } : { dialect: "postgres" },
    );
    const writeNew = native && "pool" in native ? pipelinedMessageWriter(native.pool, db) : null;
    this.sessions = new KyselySessionStore(db, dialect, location, insert, writeNew);
    this.budgets = new KyselyBudgetStore(db);
    this.vault = new KyselyVaultStore(db, location);
    this.access = new KyselyAccessStore(db, location);
    this.tasks = new KyselyTaskStore(db, dialect, location);
    this.hosts = new KyselyHostStore(db);
  }

  async migrate(): Promise<MigrationReport> {
    const migrator = new Migrator({
      db: this.db,
      provider: migrationProvider(this.dialect),
      migrationTableName: "schema_migrations",
      migrationLockTableName: "schema_migrations_lock",
    });
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error) {
      const failed = results.find((r) => r.status === "Error")?.migrationName ?? "unknown";
      throw new OpsError("INTERNAL", `migration ${failed} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const all = await migrator.getMigrations();
    const applied = all.filter((m) => m.executedAt !== undefined);
    return {
      applied: results.filter((r) => r.status === "Success").map((r) => r.migrationName),
      current: applied.at(-1)?.name ?? null,
    };
  }

  async ping(timeoutMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new OpsError("STORE_UNREACHABLE", `database did not answer within ${timeoutMs}ms`),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([sql`select 1`.execute(this.db), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async listBots(query: BotQuery = {}): Promise<Bot[]> {
    let q = this.db.selectFrom("bots").selectAll();
    if (query.org !== undefined) q = q.where("org", "=", query.org);
    if (query.host !== undefined) q = q.where("host_id", "=", query.host);
    const rows = await q.orderBy("name").execute();
    return rows.map(toBot);
  }

  async findBot(nameOrId: string): Promise<Bot | null> {
    const row = await this.db
      .selectFrom("bots")
      .selectAll()
      .where((eb) => eb.or([eb("name", "=", nameOrId), eb("id", "=", nameOrId)]))
      .executeTakeFirst();
    return row ? toBot(row) : null;
  }

  async createBot(bot: NewBot): Promise<Bot> {
    const now = new Date().toISOString();
    const row: BotsTable = {
      id: randomUUID(),
      name: bot.name,
      owner: bot.owner,
      driver: bot.driver,
      state_dir: bot.stateDir,
      config_path: bot.configPath,
      port: bot.port,
      desired_state: bot.desiredState,
      labels: JSON.stringify(bot.labels),
      openclaw_bin: bot.openclawBin,
      org: bot.org ?? DEFAULT_ORG,
      host_id: bot.host ?? null,
      created_at: now,
      updated_at: now,
    };
    await this.transact(async (tx) => {
      await assertUnique(tx, row, null);
      await tx.insertInto("bots").values(row).execute().catch(orgMissing(row.org));
    });
    return toBot(row);
  }

  async updateBot(id: string, patch: BotPatch): Promise<Bot> {
    return this.transact(async (tx) => {
      const current = await tx
        .selectFrom("bots")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirst();
      if (!current) throw new OpsError("NOT_FOUND", `no bot with id ${id}`);
      const next: BotsTable = {
        ...current,
        owner: patch.owner !== undefined ? patch.owner : current.owner,
        driver: patch.driver ?? current.driver,
        state_dir: patch.stateDir ?? current.state_dir,
        config_path: patch.configPath ?? current.config_path,
        port: patch.port ?? current.port,
        desired_state: patch.desiredState ?? current.desired_state,
        labels: patch.labels ? JSON.stringify(patch.labels) : current.labels,
        openclaw_bin: patch.openclawBin !== undefined ? patch.openclawBin : current.openclaw_bin,
        org: patch.org ?? current.org,
        updated_at: new Date().toISOString(),
      };
      await assertUnique(tx, next, id);
      const { id: _id, created_at: _created, ...changes } = next;
      await tx
        .updateTable("bots")
        .set(changes)
        .where("id", "=", id)
        .execute()
        .catch(orgMissing(next.org));
      return toBot(next);
    });
  }

  async removeBot(id: string): Promise<boolean> {
    return this.transact(async (tx) => {
      const bot = await tx
        .selectFrom("bots")
        .select(["name", "org"])
        .where("id", "=", id)
        .executeTakeFirst();
      if (!bot) return false;
      // Its history stays its organisation's (org-scope.ts).
      await tx
        .insertInto("removed_bots")
        .values({ bot_id: id, name: bot.name, org: bot.org, removed_at: new Date().toISOString() })
        .onConflict((oc) => oc.column("bot_id").doNothing())
        .execute();
      await tx.deleteFrom("gateway_instances").where("bot_id", "=", id).execute();
      await tx.deleteFrom("bots").where("id", "=", id).execute();
      return true;
    });
  }

  private transact<T>(work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    return transact(this.db, this.location, work);
  }

  async listInstances(): Promise<GatewayInstance[]> {
    const rows = await this.db.selectFrom("gateway_instances").selectAll().execute();
    return rows.map(toInstance);
  }

  async getInstance(botId: string): Promise<GatewayInstance | null> {
    const row = await this.db
      .selectFrom("gateway_instances")
      .selectAll()
      .where("bot_id", "=", botId)
      .executeTakeFirst();
    return row ? toInstance(row) : null;
  }

  async saveInstance(instance: GatewayInstance): Promise<void> {
    const row = fromInstance(instance);
    const { bot_id: _botId, ...changes } = row;
    await this.db
      .insertInto("gateway_instances")
      .values(row)
      .onConflict((oc) => oc.column("bot_id").doUpdateSet(changes))
      .execute();
  }

  async appendEvents(events: readonly StoredEventInput[]): Promise<OpsEvent[]> {
    if (events.length === 0) return [];
    const rows = events.map((e) => ({
      ts: e.ts,
      bot_id: e.botId,
      type: e.type,
      version: e.version,
      actor: e.actor,
      data: JSON.stringify(e.data),
    }));
    const inserted = await this.db.insertInto("events").values(rows).returningAll().execute();
    return inserted.map(toEvent);
  }

  async listEvents(query: EventQuery = {}): Promise<OpsEvent[]> {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    let q = this.db.selectFrom("events").selectAll();
    if (query.botId) q = q.where("bot_id", "=", query.botId);
    if (query.org !== undefined) {
      const mine = inOrg(this.db, this.dialect, "bot_id", query.org);
      q = q.where(query.fleet ? sql<boolean>`(${mine} or bot_id is null)` : mine);
    }
    const types = typeof query.type === "string" ? [query.type] : (query.type ?? []);
    if (types.length > 0)
      q = q.where(sql<boolean>`(${sql.join(types.map(typeMatches), sql` or `)})`);
    if (query.since !== undefined) q = q.where("ts", ">=", query.since);
    if (query.afterId !== undefined) {
      const rows = await q
        .where("id", ">", query.afterId)
        .orderBy("id", "asc")
        .limit(limit)
        .execute();
      return rows.map(toEvent);
    }
    const rows = await q.orderBy("id", "desc").limit(limit).execute();
    return rows.reverse().map(toEvent);
  }

  async saveRepair(record: RepairRecord): Promise<void> {
    const row = fromRepair(record);
    const { id: _id, ...changes } = row;
    await this.db
      .insertInto("repairs")
      .values(row)
      .onConflict((oc) => oc.column("id").doUpdateSet(changes))
      .execute();
  }

  async listRepairs(query: RepairQuery = {}): Promise<RepairRecord[]> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
    let q = this.db.selectFrom("repairs").selectAll();
    if (query.botId) q = q.where("bot_id", "=", query.botId);
    if (query.org !== undefined) q = q.where(inOrg(this.db, this.dialect, "bot_id", query.org));
    if (query.since) q = q.where("started_at", ">=", query.since);
    const rows = await q.orderBy("started_at", "desc").orderBy("id", "desc").limit(limit).execute();
    return rows.map(toRepair);
  }

  async listPauses(): Promise<RepairPause[]> {
    const rows = await this.db.selectFrom("repair_pauses").selectAll().orderBy("since").execute();
    return rows.map(toPause);
  }

  async savePause(pause: RepairPause): Promise<void> {
    const row = fromPause(pause);
    const { scope: _scope, ...changes } = row;
    await this.db
      .insertInto("repair_pauses")
      .values(row)
      .onConflict((oc) => oc.column("scope").doUpdateSet(changes))
      .execute();
  }

  async removePause(botId: string | null): Promise<boolean> {
    const result = await this.db
      .deleteFrom("repair_pauses")
      .where("scope", "=", pauseScope(botId))
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** An insert or update naming an organisation that does not exist: NOT_FOUND saying so. */
function orgMissing(org: string) {
  return (error: unknown): never => {
    if (isForeignKeyViolation(error))
      throw new OpsError("NOT_FOUND", `no organisation named "${org}"`, { details: { org } });
    throw error;
  };
}

async function assertUnique(db: Kysely<Database>, row: BotsTable, exceptId: string | null) {
  for (const { column, field } of UNIQUE_FIELDS) {
    let q = db.selectFrom("bots").select(["name"]).where(column, "=", row[column]);
    if (exceptId) q = q.where("id", "!=", exceptId);
    const other = await q.executeTakeFirst();
    if (!other) continue;
    const message =
      field === "name"
        ? `a bot named "${row.name}" already exists`
        : `${field} ${String(row[column])} is already used by bot "${other.name}"`;
    throw new OpsError("CONFLICT", message, { details: { field, bot: other.name } });
  }
}

/**
 * An event type, or a prefix ending in `.`. A prefix is literal: `%` and `_`
 * escaped (`%.` matched every type); SQLite has no default ESCAPE, and its
 * LIKE ignores case, so substr keeps it case-sensitive as on PostgreSQL.
 */
function typeMatches(type: string): RawBuilder<boolean> {
  if (!type.endsWith(".")) return sql<boolean>`type = ${type}`;
  const like = `${type.replace(/[\\%_]/g, "\\$&")}%`;
  return sql<boolean>`(type like ${like} escape '\\' and substr(type, 1, ${type.length}) = ${type})`;
}
