import type { Selectable } from "kysely";
import {
  GATE_STATES,
  type Schedule,
  TASK_OUTCOMES,
  TASK_STATUSES,
  type Task,
  type TaskGate,
  type TaskRun,
} from "../core/task.js";
import type { Usage } from "../core/session.js";
import type { TaskRunsTable, TaskSchedulesTable, TasksTable } from "./schema.js";
import { count, id, invalid, toUsage, utcTime } from "./session-rows.js";

/** Tasks, runs and schedules to rows and back, checked on the way in (conventions as in session-rows.ts). */

function oneOf<T extends string>(values: readonly T[], value: unknown, path: string): T {
  if (!values.includes(value as T)) throw invalid(path, `one of ${values.join(", ")}`, value);
  return value as T;
}

function positive(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1)
    throw invalid(path, "a whole number >= 1", value);
  return value as number;
}

function text(value: unknown, path: string): string {
  if (typeof value !== "string") throw invalid(path, "a string", value);
  return value;
}

function textOrNull(value: unknown, path: string): string | null {
  return value === null ? null : text(value, path);
}

function timeOrNull(value: unknown, path: string): string | null {
  return value === null ? null : utcTime(value, path);
}

function countOrNull(value: unknown, path: string): number | null {
  return value === null ? null : count(value, path);
}

function bool(value: unknown, path: string): number {
  if (typeof value !== "boolean") throw invalid(path, "true or false", value);
  return value ? 1 : 0;
}

function usageColumns(u: Usage, path: string) {
  if (typeof u !== "object" || u === null) throw invalid(path, "a usage object", u);
  if (typeof u.costUsd !== "number" || !Number.isFinite(u.costUsd) || u.costUsd < 0)
    throw invalid(`${path}.costUsd`, "a finite number >= 0", u.costUsd);
  return {
    tokens_input: count(u.input, `${path}.input`),
    tokens_output: count(u.output, `${path}.output`),
    tokens_cache_read: count(u.cacheRead, `${path}.cacheRead`),
    tokens_cache_write: count(u.cacheWrite, `${path}.cacheWrite`),
    cost_usd: u.costUsd,
  };
}

const num = (value: unknown): number | null => (value === null ? null : Number(value));

function gateColumn(gate: TaskGate): string {
  if (typeof gate !== "object" || gate === null) throw invalid("gate", "a gate object", gate);
  return JSON.stringify({
    state: oneOf(GATE_STATES, gate.state, "gate.state"),
    by: text(gate.by, "gate.by"),
    reason: text(gate.reason, "gate.reason"),
    decidedBy: textOrNull(gate.decidedBy, "gate.decidedBy"),
    decidedAt: timeOrNull(gate.decidedAt, "gate.decidedAt"),
  });
}

/** The columns a task patch sets (only those given), checked. */
export function taskColumns(t: Partial<Task>): Partial<TasksTable> {
  const row: Partial<TasksTable> = {};
  const set = <K extends keyof TasksTable>(key: K, value: TasksTable[K]) => {
    row[key] = value;
  };
  if (t.id !== undefined) set("id", id(t.id, "id"));
  if (t.botId !== undefined) set("bot_id", id(t.botId, "botId"));
  if (t.botName !== undefined) set("bot_name", id(t.botName, "botName"));
  if (t.title !== undefined) set("title", text(t.title, "title"));
  if (t.prompt !== undefined) set("prompt", id(t.prompt, "prompt"));
  if (t.status !== undefined) set("status", oneOf(TASK_STATUSES, t.status, "status"));
  if (t.outcome !== undefined)
    set("outcome", t.outcome === null ? null : oneOf(TASK_OUTCOMES, t.outcome, "outcome"));
  if (t.review !== undefined) set("review", bool(t.review, "review"));
  if (t.attempts !== undefined) set("attempts", count(t.attempts, "attempts"));
  if (t.maxAttempts !== undefined) set("max_attempts", positive(t.maxAttempts, "maxAttempts"));
  if (t.timeLimitMs !== undefined) set("time_limit_ms", positive(t.timeLimitMs, "timeLimitMs"));
  if (t.sessionKey !== undefined) set("session_key", textOrNull(t.sessionKey, "sessionKey"));
  if (t.scheduleId !== undefined) set("schedule_id", textOrNull(t.scheduleId, "scheduleId"));
  if (t.gate !== undefined) set("gate", t.gate === null ? null : gateColumn(t.gate));
  if (t.error !== undefined) set("error", textOrNull(t.error, "error"));
  if (t.usage !== undefined) Object.assign(row, usageColumns(t.usage, "usage"));
  if (t.nextAttemptAt !== undefined)
    set("next_attempt_at", timeOrNull(t.nextAttemptAt, "nextAttemptAt"));
  if (t.createdBy !== undefined) set("created_by", id(t.createdBy, "createdBy"));
  if (t.createdAt !== undefined) set("created_at", utcTime(t.createdAt, "createdAt"));
  if (t.startedAt !== undefined) set("started_at", timeOrNull(t.startedAt, "startedAt"));
  if (t.finishedAt !== undefined) set("finished_at", timeOrNull(t.finishedAt, "finishedAt"));
  if (t.durationMs !== undefined) set("duration_ms", countOrNull(t.durationMs, "durationMs"));
  if (t.updatedAt !== undefined) set("updated_at", utcTime(t.updatedAt, "updatedAt"));
  return row;
}

export function toTask(row: Selectable<TasksTable>): Task {
  return {
    id: row.id,
    botId: row.bot_id,
    botName: row.bot_name,
    title: row.title,
    prompt: row.prompt,
    status: row.status as Task["status"],
    outcome: row.outcome as Task["outcome"],
    review: Number(row.review) === 1,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    timeLimitMs: Number(row.time_limit_ms),
    sessionKey: row.session_key,
    scheduleId: row.schedule_id,
    gate: row.gate ? (JSON.parse(row.gate) as TaskGate) : null,
    error: row.error,
    usage: toUsage(row),
    nextAttemptAt: row.next_attempt_at,
    createdBy: row.created_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: num(row.duration_ms),
    updatedAt: row.updated_at,
  };
}

export function fromRun(r: TaskRun): TaskRunsTable {
  return {
    task_id: id(r.taskId, "taskId"),
    attempt: positive(r.attempt, "attempt"),
    session_key: id(r.sessionKey, "sessionKey"),
    run_id: id(r.runId, "runId"),
    outcome: oneOf([...TASK_OUTCOMES, "running"] as const, r.outcome, "outcome"),
    error: textOrNull(r.error, "error"),
    ...usageColumns(r.usage, "usage"),
    started_at: utcTime(r.startedAt, "startedAt"),
    finished_at: timeOrNull(r.finishedAt, "finishedAt"),
    duration_ms: countOrNull(r.durationMs, "durationMs"),
  };
}

export function toRun(row: Selectable<TaskRunsTable>): TaskRun {
  return {
    taskId: row.task_id,
    attempt: Number(row.attempt),
    sessionKey: row.session_key,
    runId: row.run_id,
    outcome: row.outcome as TaskRun["outcome"],
    error: row.error,
    usage: toUsage(row),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: num(row.duration_ms),
  };
}

/** The columns a schedule (or a patch of one) sets, checked. */
export function scheduleColumns(s: Partial<Schedule>): Partial<TaskSchedulesTable> {
  const row: Partial<TaskSchedulesTable> = {};
  if (s.id !== undefined) row.id = id(s.id, "id");
  if (s.botId !== undefined) row.bot_id = id(s.botId, "botId");
  if (s.botName !== undefined) row.bot_name = id(s.botName, "botName");
  if (s.title !== undefined) row.title = text(s.title, "title");
  if (s.prompt !== undefined) row.prompt = id(s.prompt, "prompt");
  if (s.everyMs !== undefined) row.every_ms = positive(s.everyMs, "everyMs");
  if (s.enabled !== undefined) row.enabled = bool(s.enabled, "enabled");
  if (s.timeLimitMs !== undefined) row.time_limit_ms = positive(s.timeLimitMs, "timeLimitMs");
  if (s.maxAttempts !== undefined) row.max_attempts = positive(s.maxAttempts, "maxAttempts");
  if (s.lastRunAt !== undefined) row.last_run_at = timeOrNull(s.lastRunAt, "lastRunAt");
  if (s.nextRunAt !== undefined) row.next_run_at = utcTime(s.nextRunAt, "nextRunAt");
  if (s.lastTaskId !== undefined) row.last_task_id = textOrNull(s.lastTaskId, "lastTaskId");
  if (s.createdBy !== undefined) row.created_by = id(s.createdBy, "createdBy");
  if (s.createdAt !== undefined) row.created_at = utcTime(s.createdAt, "createdAt");
  if (s.updatedAt !== undefined) row.updated_at = utcTime(s.updatedAt, "updatedAt");
  return row;
}

export function toSchedule(row: Selectable<TaskSchedulesTable>): Schedule {
  return {
    id: row.id,
    botId: row.bot_id,
    botName: row.bot_name,
    title: row.title,
    prompt: row.prompt,
    everyMs: Number(row.every_ms),
    enabled: Number(row.enabled) === 1,
    timeLimitMs: Number(row.time_limit_ms),
    maxAttempts: Number(row.max_attempts),
    lastRunAt: row.last_run_at,
    nextRunAt: row.next_run_at,
    lastTaskId: row.last_task_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
