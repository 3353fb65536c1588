import type { Bot, BotPatch } from "../core/bot.js";
import type { OpsEvent, StoredEventInput } from "../core/events.js";
import type { GatewayInstance } from "../core/gateway-state.js";
import type { RepairPause, RepairRecord } from "../core/repair.js";
import type { BudgetStore } from "./budget-store.js";
import type { Dialect } from "./schema.js";
import type { SessionStore } from "./session-store.js";
import type { AccessStore } from "./access-store.js";
import type { VaultStore } from "./vault-store.js";
import type { TaskStore } from "./task-store.js";
import type { HostStore } from "./host-store.js";

export type { Dialect };

/**
 * A bot to insert: everything resolved (absolute paths, a port); `org`
 * defaults to `DEFAULT_ORG`, `host` (the host that runs it) to none.
 */
export type NewBot = Omit<Bot, "id" | "createdAt" | "updatedAt" | "org" | "host"> & {
  org?: string;
  host?: string | null;
};

export interface BotQuery {
  /** Only this organisation's bots. */
  org?: string;
  /** Only the bots this host runs (docs/hosts.md). */
  host?: string;
}

export interface EventQuery {
  botId?: string;
  /** Only events of this organisation's bots (removed ones included). */
  org?: string;
  /** With `org`: the events that concern no bot (daemon-wide) too. Default false. */
  fleet?: boolean;
  /** Exact type, or a prefix ending in `.` (`"bot."`); several: any of them. */
  type?: string | readonly string[];
  /** Only events with a larger id (for tailing). */
  afterId?: number;
  /** Only events at or after this ISO 8601 time. */
  since?: string;
  /** At most this many (default 100, max 1000): the newest ones, returned oldest first. */
  limit?: number;
}

export interface RepairQuery {
  botId?: string;
  /** Only repairs of this organisation's bots (removed ones included). */
  org?: string;
  /** Only repairs started at or after this ISO 8601 time. */
  since?: string;
  /** At most this many (default 50, max 1000), newest first. */
  limit?: number;
}

export interface MigrationReport {
  applied: string[];
  current: string | null;
}

/**
 * The persistence contract. Implemented once over Kysely for SQLite and
 * PostgreSQL; `store.contract.ts` runs the same suite against both.
 * Failures are `OpsError`s: `CONFLICT` for duplicates, `NOT_FOUND`,
 * `STORE_UNREACHABLE` when the database cannot be reached.
 */
export interface Store {
  readonly dialect: Dialect;
  /** Where the data lives, with any password removed (for logs and status). */
  readonly location: string;
  /** Applies pending migrations; a no-op when current. Safe to run concurrently. */
  migrate(): Promise<MigrationReport>;
  /** Resolves when the database answers a trivial query within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;

  listBots(query?: BotQuery): Promise<Bot[]>;
  /** By name or id; null when absent. */
  findBot(nameOrId: string): Promise<Bot | null>;
  /**
   * Throws `CONFLICT` naming the field when the name, port or state dir is
   * taken (names, ports and state dirs are the host's: unique across
   * organisations), `NOT_FOUND` for an organisation that does not exist.
   */
  createBot(bot: NewBot): Promise<Bot>;
  updateBot(id: string, patch: BotPatch): Promise<Bot>;
  /**
   * Removes the registry entry only (never files, never its history, which
   * stays its organisation's); returns false when absent.
   */
  removeBot(id: string): Promise<boolean>;

  /** The supervisor's persisted gateway states (removed with their bot). */
  listInstances(): Promise<GatewayInstance[]>;
  getInstance(botId: string): Promise<GatewayInstance | null>;
  /** Inserts or replaces the bot's row. */
  saveInstance(instance: GatewayInstance): Promise<void>;

  /** Appends delivered events in order; returns them with their ids. */
  appendEvents(events: readonly StoredEventInput[]): Promise<OpsEvent[]>;
  listEvents(query?: EventQuery): Promise<OpsEvent[]>;

  /** Inserts or replaces a repair record (by id). */
  saveRepair(record: RepairRecord): Promise<void>;
  /** Newest first. */
  listRepairs(query?: RepairQuery): Promise<RepairRecord[]>;
  listPauses(): Promise<RepairPause[]>;
  /** Inserts or replaces the pause of its scope. */
  savePause(pause: RepairPause): Promise<void>;
  /** Lifts the pause of a bot (or of the fleet, null); false when there was none. */
  removePause(botId: string | null): Promise<boolean>;

  /** Sessions, transcripts, usage and cost (its own interface: session-store.ts). */
  readonly sessions: SessionStore;
  /** Spending budgets' states (its own interface: budget-store.ts). */
  readonly budgets: BudgetStore;
  /** The credential vault's sealed records (its own interface: vault-store.ts). */
  readonly vault: VaultStore;
  /** Organisations, users, API tokens, logins and the audit trail (access-store.ts). */
  readonly access: AccessStore;
  /** Tasks, their runs and schedules (task-store.ts). */
  readonly tasks: TaskStore;
  /** The fleet's hosts and which bots each runs (host-store.ts). */
  readonly hosts: HostStore;

  close(): Promise<void>;
}
