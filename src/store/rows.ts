import type { Selectable } from "kysely";
import type { Bot, DesiredState, Driver } from "../core/bot.js";
import type { OpsEvent } from "../core/events.js";
import type { ExitInfo, GatewayInstance, GatewayState } from "../core/gateway-state.js";
import type { RepairOutcome, RepairPause, RepairRecord, RepairTrigger } from "../core/repair.js";
import type {
  BotsTable,
  EventsTable,
  GatewayInstancesTable,
  RepairPausesTable,
  RepairsTable,
} from "./schema.js";

/**
 * How domain objects are kept in rows, one pair per table, the same on
 * SQLite and PostgreSQL: snake_case columns, booleans as 0/1 (SQLite has
 * none), nested values as JSON text, and 64-bit columns passed through
 * `Number()` on the way back.
 */

export function toBot(row: Selectable<BotsTable>): Bot {
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
    org: row.org,
    host: row.host_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function fromInstance(i: GatewayInstance): GatewayInstancesTable {
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
    rss_samples: JSON.stringify(i.rssSamples),
    ready: i.ready === null ? null : i.ready ? 1 : 0,
    updated_at: i.updatedAt,
  };
}

export function toInstance(row: Selectable<GatewayInstancesTable>): GatewayInstance {
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
    rssSamples: row.rss_samples ? (JSON.parse(row.rss_samples) as number[]) : [],
    ready: row.ready === null ? null : row.ready === 1,
    updatedAt: row.updated_at,
  };
}

export function toEvent(row: Selectable<EventsTable>): OpsEvent {
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

/** The scope of a fleet-wide pause (bot ids are UUIDs, never `*`). */
const FLEET_SCOPE = "*";

/** The columns a query filters or sorts on, the rest as JSON. */
export function fromRepair(record: RepairRecord): RepairsTable {
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

export function toRepair(row: Selectable<RepairsTable>): RepairRecord {
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

/** The pause row's key: the bot's id, or the fleet's scope for `null`. */
export function pauseScope(botId: string | null): string {
  return botId ?? FLEET_SCOPE;
}

export function fromPause(pause: RepairPause): RepairPausesTable {
  return {
    scope: pauseScope(pause.botId),
    paused_by: pause.by,
    reason: pause.reason,
    since: pause.since,
  };
}

export function toPause(row: Selectable<RepairPausesTable>): RepairPause {
  return {
    botId: row.scope === FLEET_SCOPE ? null : row.scope,
    by: row.paused_by,
    reason: row.reason,
    since: row.since,
  };
}
