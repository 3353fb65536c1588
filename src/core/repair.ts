/**
 * The repair pipeline's records. A repair is one attempt to bring one bot's
 * gateway back: what set it off, which tiers ran, every action with its
 * result, and how it ended. Records are kept in the store for `clawops repairs`.
 */

/**
 * What set a repair off. `manual` is an operator (CLI, API, Telegram);
 * `start_failed` a start that failed for a cause no allowlisted action fixes
 * (a missing binary, an unwritable state dir): escalated at once.
 */
export const REPAIR_TRIGGERS = [
  "crash",
  "hung",
  "port_conflict",
  "crash_loop",
  "config_invalid",
  "exit_78",
  "readiness",
  "memory",
  "manual",
  "start_failed",
] as const;
export type RepairTrigger = (typeof REPAIR_TRIGGERS)[number];

/** 1: restart; 2: deep fix from evidence; 3: AI plan from the allowlist. */
export type RepairTier = 1 | 2 | 3;

/**
 * - `recovered`: the gateway runs again and its /healthz answered.
 * - `escalated`: every tier failed (or none applied); humans were told.
 * - `skipped`: not attempted (paused, budget spent, nothing to repair).
 * - `planned`: a dry run; nothing was changed.
 * - `interrupted`: clawops stopped during the repair.
 * - `running`: in progress.
 */
export const REPAIR_OUTCOMES = [
  "running",
  "recovered",
  "escalated",
  "skipped",
  "planned",
  "interrupted",
] as const;
export type RepairOutcome = (typeof REPAIR_OUTCOMES)[number];

export interface RepairActionRecord {
  tier: RepairTier;
  /** Allowlisted action name (`restart`, `restore-last-good-config`, ...). */
  action: string;
  params: Record<string, unknown>;
  /**
   * - `ok`: executed and verified.
   * - `failed`: its execution or its verification failed.
   * - `skipped`: its precondition did not hold.
   * - `rejected`: not allowed (not on the allowlist, bad parameters, another bot).
   * - `planned`: a dry run.
   */
  status: "ok" | "failed" | "skipped" | "rejected" | "planned";
  /** What happened, in words. */
  detail: string;
  durationMs: number;
  /** A config change, as a unified diff (secrets masked). */
  diff?: string;
  /** Where the file was saved before the change. */
  backup?: string;
}

export interface RepairRecord {
  id: string;
  botId: string;
  botName: string;
  trigger: RepairTrigger;
  /** The trigger in words: "killed by SIGKILL", "port 18789 held by pid 4242 (openclaw-gateway)". */
  cause: string;
  /**
   * Who or what started it: `repair` (automatic), `cli#<request id>` or
   * `api#<request id>` (through the HTTP API), `telegram:<chat id>`.
   */
  startedBy: string;
  dryRun: boolean;
  outcome: RepairOutcome;
  /** The highest tier that ran (0: none). */
  tier: 0 | RepairTier;
  /** One line: how it ended and why. */
  summary: string;
  actions: RepairActionRecord[];
  /** What the diagnosis saw (exit, listener, locks, legacy files, config validity): no secrets. */
  evidence: Record<string, unknown>;
  /** When the fault happened, as far as the evidence tells (the exit, the first failed check). */
  faultAt: string;
  /** When clawops noticed (the supervisor's event). */
  detectedAt: string;
  startedAt: string;
  endedAt: string | null;
  /** When /healthz of the new instance answered. */
  recoveredAt: string | null;
}

export interface RepairStats {
  /** Automatic and manual repairs that acted (not skipped, not dry runs). */
  total: number;
  recovered: number;
  escalated: number;
  skipped: number;
  /** recovered / (recovered + escalated); null with none. */
  successRate: number | null;
  escalationRate: number | null;
  /** Mean fault to detection, ms. */
  meanTimeToDetectMs: number | null;
  /** Mean detection to recovered, ms. */
  meanTimeToRecoverMs: number | null;
  /** Recovered repairs by the tier that recovered them. */
  byTier: Record<"1" | "2" | "3", number>;
}

/** Maintenance mode: no automatic repair while a bot (or the fleet, `bot: null`) is paused. */
export interface RepairPause {
  /** Bot id, or null for the whole fleet. */
  botId: string | null;
  by: string;
  reason: string;
  since: string;
}

/** The repair pipeline now: whether it acts, what is paused, each bot's budget. */
export interface RepairStatus {
  enabled: boolean;
  dryRun: boolean;
  /** The automatic repairs each bot may have (`repair.budget`). */
  budget: {
    /** Automatic repairs per bot in any hour. */
    maxPerHour: number;
    /** No automatic repair for this long once they are spent. */
    cooldownMs: number;
  };
  pauses: RepairPause[];
  budgets: {
    bot: string;
    /** A repair of the bot runs now. */
    repairing: boolean;
    /** Automatic repairs left in the current hour. */
    remaining: number;
    /** ISO 8601 end of the cooldown; null when none. */
    cooldownUntil: string | null;
  }[];
}
