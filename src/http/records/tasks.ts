import { z } from "zod";
import { GATE_STATES, TASK_OUTCOMES, TASK_STATUSES } from "../../core/task.js";
import { usageSchema } from "./sessions.js";

const time = z.string().describe("ISO 8601, UTC");

/** A card of the board (src/core/task.ts `Task`). */
export const taskSchema = z
  .object({
    id: z.string(),
    botId: z.string(),
    botName: z.string(),
    title: z.string(),
    prompt: z.string(),
    status: z.enum(TASK_STATUSES).describe("the board's column"),
    outcome: z.enum(TASK_OUTCOMES).nullable().describe("how it ended; null until it has"),
    review: z.boolean().describe("a success waits in review for a person (else goes to done)"),
    attempts: z.number().int().describe("attempts dispatched in the current series"),
    maxAttempts: z.number().int(),
    timeLimitMs: z.number().int().describe("per attempt"),
    sessionKey: z.string().nullable().describe("the latest attempt's own session"),
    scheduleId: z.string().nullable(),
    gate: z
      .object({
        state: z.enum(GATE_STATES).describe("`pending` holds it in the inbox for a person"),
        by: z.string().describe("what asked for it: `rule 2` (of approvals.tasks) or `requested`"),
        reason: z.string(),
        decidedBy: z.string().nullable(),
        decidedAt: time.nullable(),
      })
      .nullable()
      .describe('its approval gate (docs/tasks.md "Gates"); null when none held it'),
    error: z.string().nullable(),
    usage: usageSchema.describe("over every attempt's session"),
    nextAttemptAt: time.nullable().describe("a retry waits until then"),
    createdBy: z.string(),
    createdAt: time,
    startedAt: time.nullable(),
    finishedAt: time.nullable(),
    durationMs: z.number().nullable().describe("first dispatch to the end"),
    updatedAt: time,
  })
  .meta({ id: "Task" });

export const taskRunSchema = z
  .object({
    taskId: z.string(),
    attempt: z.number().int().describe("the run's number over the task's life (1, 2, ...)"),
    sessionKey: z.string(),
    runId: z.string(),
    outcome: z.enum([...TASK_OUTCOMES, "running"]),
    error: z.string().nullable(),
    usage: usageSchema,
    startedAt: time,
    finishedAt: time.nullable(),
    durationMs: z.number().nullable(),
  })
  .meta({ id: "TaskRun" });

export const scheduleSchema = z
  .object({
    id: z.string(),
    botId: z.string(),
    botName: z.string(),
    title: z.string(),
    prompt: z.string(),
    everyMs: z.number().int(),
    enabled: z.boolean(),
    timeLimitMs: z.number().int(),
    maxAttempts: z.number().int(),
    lastRunAt: time.nullable(),
    nextRunAt: time,
    lastTaskId: z.string().nullable(),
    createdBy: z.string(),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: "Schedule" });

export const taskAnalyticsSchema = z
  .object({
    botId: z.string(),
    botName: z.string(),
    finished: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    timedOut: z.number().int(),
    cancelled: z.number().int(),
    successRate: z
      .number()
      .nullable()
      .describe("succeeded / (succeeded + failed + timed out); cancelled ones do not count"),
    meanCompletionMs: z.number().nullable().describe("mean dispatch-to-end of the succeeded ones"),
    costUsd: z.number(),
    costPerTaskUsd: z.number().nullable(),
    tokens: z.number(),
  })
  .meta({ id: "TaskAnalytics" });
