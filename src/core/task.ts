import type { Usage } from "./session.js";

/**
 * Tasks (Mission Control, docs/tasks.md): a prompt dispatched to a bot's
 * agent through its gateway, each attempt in a session of its own, followed
 * until it ends. The board's columns are the statuses; how a finished task
 * ended is its outcome.
 */

/** The Kanban columns, left to right. */
export const TASK_STATUSES = ["inbox", "assigned", "in_progress", "review", "done"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** How a task (or one attempt) ended; null while it has not. */
export const TASK_OUTCOMES = ["succeeded", "failed", "cancelled", "timed_out"] as const;
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];

/**
 * A high-risk task's gate (docs/tasks.md "Gates"): a person approves it before
 * it is dispatched. `pending` holds it in the inbox; `denied` ends it.
 */
export const GATE_STATES = ["pending", "approved", "denied"] as const;
export type GateState = (typeof GATE_STATES)[number];

export interface TaskGate {
  state: GateState;
  /** What asked for it: `rule 2` of `approvals.tasks`, or `requested` by its creator. */
  by: string;
  reason: string;
  /** Who decided (`api#...`, `cli`, a user), and when; null while pending. */
  decidedBy: string | null;
  decidedAt: string | null;
}

/** Statuses in which a task still has work ahead (a schedule waits for its task to leave them). */
export const OPEN_STATUSES: readonly TaskStatus[] = ["inbox", "assigned", "in_progress"];

export interface Task {
  id: string;
  botId: string;
  /** The bot's name when the task was made: its history stays readable after the bot is removed. */
  botName: string;
  title: string;
  prompt: string;
  status: TaskStatus;
  outcome: TaskOutcome | null;
  /** A success waits in `review` for a person (true) or goes straight to `done` (false). */
  review: boolean;
  /** Attempts dispatched so far. */
  attempts: number;
  maxAttempts: number;
  /** Per attempt, from its dispatch to its end. */
  timeLimitMs: number;
  /** The session key of the latest attempt; each attempt has its own. */
  sessionKey: string | null;
  /** The schedule that made it; null for a task made by hand. */
  scheduleId: string | null;
  /** Its approval gate; null for a task no gate held. */
  gate: TaskGate | null;
  /** Why the latest attempt failed, in the gateway's words or clawops's. */
  error: string | null;
  /** Summed over every attempt's session, from the messages the ingest keeps. */
  usage: Usage;
  /** A retry waits until then (backoff); null when not waiting. */
  nextAttemptAt: string | null;
  createdBy: string;
  createdAt: string;
  /** The first attempt's dispatch. */
  startedAt: string | null;
  finishedAt: string | null;
  /** From the first dispatch to the end, when it ended. */
  durationMs: number | null;
  updatedAt: string;
}

/** One attempt of a task: its own session key and run. */
export interface TaskRun {
  taskId: string;
  /** 1, 2, ... */
  attempt: number;
  sessionKey: string;
  /** The gateway's run id (the `chat.send` idempotency key). */
  runId: string;
  /** `running` until it ends. */
  outcome: TaskOutcome | "running";
  error: string | null;
  usage: Usage;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

/** A heartbeat: a task made from the same prompt every `everyMs`, unattended. */
export interface Schedule {
  id: string;
  botId: string;
  botName: string;
  title: string;
  prompt: string;
  everyMs: number;
  enabled: boolean;
  timeLimitMs: number;
  maxAttempts: number;
  /** When it last made a task. */
  lastRunAt: string | null;
  /** When it makes the next one (a run still open then makes it wait). */
  nextRunAt: string;
  lastTaskId: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** Finished tasks of one bot, summed (`/api/v1/tasks/analytics`). */
export interface TaskAnalytics {
  botId: string;
  botName: string;
  /** Finished tasks (any outcome). */
  finished: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  /** succeeded / (succeeded + failed + timed out); null with none of those. Cancelled ones do not count. */
  successRate: number | null;
  /** Mean dispatch-to-end time of the succeeded ones; null with none. */
  meanCompletionMs: number | null;
  costUsd: number;
  /** costUsd / finished; null with none. */
  costPerTaskUsd: number | null;
  tokens: number;
}

/** The session key and run id of a task's attempt: one session per task and attempt. */
export function attemptKeys(
  taskId: string,
  attempt: number,
  agentId = "main",
): { sessionKey: string; runId: string } {
  const name = `clawops-task-${taskId}-${attempt}`;
  return { sessionKey: `agent:${agentId}:${name}`, runId: name };
}

/** The wait before attempt `next` (2, 3, ...): 5 s doubling, at most 5 minutes. */
export function retryDelayMs(next: number, firstMs = 5_000): number {
  return Math.min(firstMs * 2 ** Math.max(0, next - 2), 300_000);
}

/**
 * The next run of a schedule after one made at `firedAt`: the first slot of
 * its cadence after it. Runs missed while clawops was down (or while a run
 * was still open) collapse into the one just made; none is made twice.
 */
export function nextRunAfter(nextRunAt: number, everyMs: number, firedAt: number): number {
  if (nextRunAt > firedAt) return nextRunAt;
  const missed = Math.floor((firedAt - nextRunAt) / everyMs) + 1;
  return nextRunAt + missed * everyMs;
}

/**
 * Where a person may move a card by hand (the service moves it through
 * `in_progress` itself): inbox and assigned trade places while nothing runs;
 * a reviewed success is accepted into done or sent back to the inbox.
 */
export const MANUAL_MOVES: Readonly<Partial<Record<TaskStatus, readonly TaskStatus[]>>> = {
  inbox: ["assigned"],
  assigned: ["inbox"],
  review: ["done", "inbox"],
};
