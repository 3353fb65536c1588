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
  /** `orgs.name` (009-bot-orgs). */
  org: string;
  /** The host whose daemon runs it (011-hosts); null until a daemon claims it. */
  host_id: string | null;
  created_at: string;
  updated_at: string;
}

/** A daemon's host in a fleet of several (011-hosts). */
export interface HostsTable {
  id: string;
  api_url: string;
  version: string;
  started_at: string;
  last_seen_at: string;
}

/**
 * A removed bot's organisation: its history (events, repairs, sessions,
 * cost) outlives it in the store and stays its organisation's alone.
 */
export interface RemovedBotsTable {
  bot_id: string;
  name: string;
  org: string;
  removed_at: string;
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
  /** JSON array of bytes, oldest first; null before migration 012 wrote any. */
  rss_samples: string | null;
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

/**
 * A gateway's session (one transcript). Not tied to `bots` by a foreign key:
 * it outlives its bot (history), and the ingest may see a session's messages
 * before the session itself.
 */
export interface SessionsTable {
  bot_id: string;
  session_id: string;
  bot_name: string;
  session_key: string;
  agent_id: string;
  channel: string | null;
  peer: string | null;
  model_configured: string | null;
  model_used: string | null;
  status: string | null;
  started_at: string | null;
  last_activity_at: string | null;
  /** What lists sort by: the last activity, else the start, else `updated_at` (never null). */
  activity_at: string;
  message_count: number;
  tokens_input: number;
  tokens_output: number;
  tokens_cache_read: number;
  tokens_cache_write: number;
  /** US dollars as a double: sums of fractions of a cent stay exact to far below a cent. */
  cost_usd: number;
  cost_source: string;
  deleted_on_gateway: number;
  updated_at: string;
}

/** One transcript message; the usage columns are null together (a message without usage). */
export interface MessagesTable {
  bot_id: string;
  session_id: string;
  seq: number;
  role: string;
  text: string;
  text_bytes: number;
  /** ToolCall[] as JSON text. */
  tool_calls: string;
  tool_call_id: string | null;
  is_error: number;
  tokens_input: number | null;
  tokens_output: number | null;
  tokens_cache_read: number | null;
  tokens_cache_write: number | null;
  cost_usd: number | null;
  cost_source: string | null;
  stop_reason: string | null;
  model: string | null;
  latency_ms: number | null;
  /** UTC ISO 8601 (`toISOString()`), so text order is time order and the first 10 characters are the day. */
  at: string;
}

/** Where the ingest's catch-up left off, per bot and scope (a session id, or `*` for the gateway). */
export interface IngestCursorsTable {
  bot_id: string;
  scope: string;
  cursor: string;
  updated_at: string;
}

/** One budget window's state (core/budget.ts `BudgetState`). */
export interface BudgetStatesTable {
  scope: string;
  name: string;
  /** `day` or `month` (the state's window). */
  period: string;
  period_start: string;
  level: string;
  paused: number;
  spent_usd: number;
  limit_usd: number;
  updated_at: string;
}

/** One vault record (core/vault.ts `SealedSecret`): binary parts as BLOB (SQLite) or bytea (PostgreSQL). */
export interface VaultRecordsTable {
  name: string;
  version: number;
  kek_id: string;
  kek_check: string;
  key_iv: Buffer;
  wrapped_key: Buffer;
  key_tag: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  created_at: string;
  updated_at: string;
}

export interface OrgsTable {
  name: string;
  created_at: string;
}

export interface UsersTable {
  id: string;
  name: string;
  org: string;
  role: string;
  password_hash: string;
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  org: string;
  role: string;
  kind: string;
  user_id: string | null;
  created_by: string;
  secret_hash: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface LoginSessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor: string;
  org: string | null;
  method: string;
  route: string;
  target: string | null;
  status: number;
  request_id: string;
  source: string;
}

export interface Database {
  bots: BotsTable;
  hosts: HostsTable;
  removed_bots: RemovedBotsTable;
  events: EventsTable;
  gateway_instances: GatewayInstancesTable;
  repairs: RepairsTable;
  repair_pauses: RepairPausesTable;
  sessions: SessionsTable;
  messages: MessagesTable;
  ingest_cursors: IngestCursorsTable;
  budget_states: BudgetStatesTable;
  vault_records: VaultRecordsTable;
  orgs: OrgsTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  login_sessions: LoginSessionsTable;
  audit_log: AuditLogTable;
  tasks: TasksTable;
  task_runs: TaskRunsTable;
  task_schedules: TaskSchedulesTable;
}

export type Dialect = "sqlite" | "postgres";

/** A task (010-tasks): a card of the board; its usage columns sum its runs' sessions. */
export interface TasksTable {
  id: string;
  bot_id: string;
  bot_name: string;
  title: string;
  prompt: string;
  status: string;
  outcome: string | null;
  review: number;
  attempts: number;
  max_attempts: number;
  time_limit_ms: number;
  session_key: string | null;
  schedule_id: string | null;
  /** JSON of the task's gate (migration 013); null: none. */
  gate: string | null;
  error: string | null;
  tokens_input: number;
  tokens_output: number;
  tokens_cache_read: number;
  tokens_cache_write: number;
  cost_usd: number;
  next_attempt_at: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  updated_at: string;
}

export interface TaskRunsTable {
  task_id: string;
  attempt: number;
  session_key: string;
  run_id: string;
  outcome: string;
  error: string | null;
  tokens_input: number;
  tokens_output: number;
  tokens_cache_read: number;
  tokens_cache_write: number;
  cost_usd: number;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface TaskSchedulesTable {
  id: string;
  bot_id: string;
  bot_name: string;
  title: string;
  prompt: string;
  every_ms: number;
  enabled: number;
  time_limit_ms: number;
  max_attempts: number;
  last_run_at: string | null;
  next_run_at: string;
  last_task_id: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}
