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
  created_at: string;
  updated_at: string;
}

export interface EventsTable {
  id: Generated<number>;
  ts: string;
  bot_id: string | null;
  type: string;
  actor: string;
  data: string;
}

export interface Database {
  bots: BotsTable;
  events: EventsTable;
}

export type Dialect = "sqlite" | "postgres";
