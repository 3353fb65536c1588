import { randomUUID } from "node:crypto";
import { type Kysely, Migrator, type Selectable, type Transaction, sql } from "kysely";
import type { Bot, BotPatch, DesiredState, Driver } from "../core/bot.js";
import { OpsError, errorMessage } from "../core/errors.js";
import type { OpsEvent, StoredEventInput } from "../core/events.js";
import type { ExitInfo, GatewayInstance, GatewayState } from "../core/gateway-state.js";
import type { RepairOutcome, RepairPause, RepairRecord, RepairTrigger } from "../core/repair.js";
import { abortedTransaction, asStoreError } from "./errors.js";
import { migrationProvider } from "./migrations/index.js";
import type {
  BotsTable,
  Database,
  Dialect,
  EventsTable,
  GatewayInstancesTable,
  RepairsTable,
} from "./schema.js";
import type { EventQuery, MigrationReport, NewBot, RepairQuery, Store } from "./store.js";

const UNIQUE_FIELDS = [
  { column: "name", field: "name" },
  { column: "port", field: "port" },
  { column: "state_dir", field: "stateDir" },
] as const;

/** The one Store implementation; the dialect only changes how Kysely connects. */
export class KyselyStore implements Store {
  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    readonly location: string,
  ) {}

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

  async listBots(): Promise<Bot[]> {
    const rows = await this.db.selectFrom("bots").selectAll().orderBy("name").execute();
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
      created_at: now,
      updated_at: now,
    };
    await this.transact(async (tx) => {
      await assertUnique(tx, row, null);
      await tx.insertInto("bots").values(row).execute();
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
        updated_at: new Date().toISOString(),
      };
      await assertUnique(tx, next, id);
      const { id: _id, created_at: _created, ...changes } = next;
      await tx.updateTable("bots").set(changes).where("id", "=", id).execute();
      return toBot(next);
    });
  }

  async removeBot(id: string): Promise<boolean> {
    return this.transact(async (tx) => {
      await tx.deleteFrom("gateway_instances").where("bot_id", "=", id).execute();
      const result = await tx.deleteFrom("bots").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  /**
   * A transaction whose failure is the one its work hit: when SQLite aborts a
   * transaction by itself (a full disk), the ROLLBACK that follows fails with
   * "cannot rollback - no transaction is active" and would hide the cause.
   */
  private async transact<T>(work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    let original: unknown = undefined;
    try {
      return await this.db.transaction().execute(async (tx) => {
        try {
          return await work(tx);
        } catch (error) {
          original = error;
          throw error;
        }
      });
    } catch (error) {
      // Work that failed says why; otherwise it was the COMMIT, hidden behind a failed ROLLBACK.
      throw asStoreError(original ?? abortedTransaction(error, this.location));
    }
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
    // A prefix is literal: `%` and `_` escaped (`%.` matched every type); SQLite has no default
    // ESCAPE, and its LIKE ignores case, so substr keeps it case-sensitive as on PostgreSQL.
    const prefix = query.type?.endsWith(".") ? query.type : null;
    if (prefix) {
      const like = `${prefix.replace(/[\\%_]/g, "\\$&")}%`;
      q = q.where(
        sql<boolean>`type like ${like} escape '\\' and substr(type, 1, ${prefix.length}) = ${prefix}`,
      );
    } else if (query.type) q = q.where("type", "=", query.type);
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
    if (query.since) q = q.where("started_at", ">=", query.since);
    const rows = await q.orderBy("started_at", "desc").orderBy("id", "desc").limit(limit).execute();
    return rows.map(toRepair);
  }

  async listPauses(): Promise<RepairPause[]> {
    const rows = await this.db.selectFrom("repair_pauses").selectAll().orderBy("since").execute();
    return rows.map((row) => ({
      botId: row.scope === FLEET_SCOPE ? null : row.scope,
      by: row.paused_by,
      reason: row.reason,
      since: row.since,
    }));
  }

  async savePause(pause: RepairPause): Promise<void> {
    const row = {
      scope: pause.botId ?? FLEET_SCOPE,
      paused_by: pause.by,
      reason: pause.reason,
      since: pause.since,
    };
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
      .where("scope", "=", botId ?? FLEET_SCOPE)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** The scope of a fleet-wide pause (bot ids are UUIDs, never `*`). */
const FLEET_SCOPE = "*";

/** The columns a query filters or sorts on, the rest as JSON. */
function fromRepair(record: RepairRecord): RepairsTable {
  const {
    id,
    botId,
    botName,
    trigger,
    outcome,
    tier,
    startedBy,
    dryRun,
    startedAt,
    endedAt,
    ...rest
  } = record;
  return {
    id,
    bot_id: botId,
    bot_name: botName,
    trigger,
    outcome,
    tier,
    started_by: startedBy,
    dry_run: dryRun ? 1 : 0,
    started_at: startedAt,
    ended_at: endedAt,
    data: JSON.stringify(rest),
  };
}

function toRepair(row: Selectable<RepairsTable>): RepairRecord {
  const rest = JSON.parse(row.data) as Omit<
    RepairRecord,
    | "id"
    | "botId"
    | "botName"
    | "trigger"
    | "outcome"
    | "tier"
    | "startedBy"
    | "dryRun"
    | "startedAt"
    | "endedAt"
  >;
  return {
    id: row.id,
    botId: row.bot_id,
    botName: row.bot_name,
    trigger: row.trigger as RepairTrigger,
    outcome: row.outcome as RepairOutcome,
    tier: row.tier as RepairRecord["tier"],
    startedBy: row.started_by,
    dryRun: row.dry_run === 1,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    ...rest,
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

function toBot(row: Selectable<BotsTable>): Bot {
  return {
    id: row.id,
    name: row.name,
    owner: row.owner,
    driver: row.driver as Driver,
    stateDir: row.state_dir,
    configPath: row.config_path,
    port: row.port,
    desiredState: row.desired_state as DesiredState,
    labels: JSON.parse(row.labels) as Record<string, string>,
    openclawBin: row.openclaw_bin,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function fromInstance(i: GatewayInstance): GatewayInstancesTable {
  return {
    bot_id: i.botId,
    state: i.state,
    reason: i.reason,
    pid: i.pid,
    pid_start_time: i.pidStartTime,
    started_at: i.startedAt,
    state_since: i.stateSince,
    version: i.version,
    restarts: i.restarts,
    recent_failures: JSON.stringify(i.recentFailures),
    last_exit: i.lastExit ? JSON.stringify(i.lastExit) : null,
    rss_bytes: i.rssBytes,
    ready: i.ready === null ? null : i.ready ? 1 : 0,
    updated_at: i.updatedAt,
  };
}

function toInstance(row: Selectable<GatewayInstancesTable>): GatewayInstance {
  return {
    botId: row.bot_id,
    state: row.state as GatewayState,
    reason: row.reason,
    pid: row.pid,
    pidStartTime: row.pid_start_time === null ? null : Number(row.pid_start_time),
    startedAt: row.started_at,
    stateSince: row.state_since,
    version: row.version,
    restarts: row.restarts,
    recentFailures: JSON.parse(row.recent_failures) as string[],
    lastExit: row.last_exit ? (JSON.parse(row.last_exit) as ExitInfo) : null,
    rssBytes: row.rss_bytes === null ? null : Number(row.rss_bytes),
    ready: row.ready === null ? null : row.ready === 1,
    updatedAt: row.updated_at,
  };
}

function toEvent(row: Selectable<EventsTable>): OpsEvent {
  return {
    id: Number(row.id),
    ts: row.ts,
    botId: row.bot_id,
    type: row.type,
    version: Number(row.version),
    actor: row.actor,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}
