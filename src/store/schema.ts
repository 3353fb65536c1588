import type { Generated } from "kysely";

/** Table shapes as stored: snake_case columns, JSON as text, timestamps as ISO 8601 text. */
export interface BotsTable {
  id: string;
  name: string;
  owner: string | null;
  driver: string;
  state_dir: string;
  config_path: string;
  port: number;
  desired_state: string;
  labels: string;
  openclaw_bin: string | null;
  created_at: string;
  updated_at: string;
}

export interface EventsTable {
  id: Generated<number>;
  ts: string;
  bot_id: string | null;
  type: string;
  /** The version of the type's schema (core/events.ts). */
  version: Generated<number>;
  actor: string;
  data: string;
}

export interface GatewayInstancesTable {
  bot_id: string;
  state: string;
  reason: string;
  pid: number | null;
  pid_start_time: number | null;
  started_at: string | null;
  state_since: string;
  version: string | null;
  restarts: number;
  recent_failures: string;
  last_exit: string | null;
  rss_bytes: number | null;
  ready: number | null;
  updated_at: string;
}

export interface RepairsTable {
  id: string;
  bot_id: string;
  bot_name: string;
  trigger: string;
  outcome: string;
  tier: number;
  started_by: string;
  dry_run: number;
  started_at: string;
  ended_at: string | null;
  /** The rest of the record (actions, evidence, cause, summary, times) as JSON. */
  data: string;
}

export interface RepairPausesTable {
  /** A bot id, or `*` for the whole fleet. */
  scope: string;
  paused_by: string;
  reason: string;
  since: string;
}

export interface Database {
  bots: BotsTable;
  events: EventsTable;
  gateway_instances: GatewayInstancesTable;
  repairs: RepairsTable;
  repair_pauses: RepairPausesTable;
}

export type Dialect = "sqlite" | "postgres";
