import { z } from "zod";
import { botEventSpec as entry, isoTime } from "./event-spec.js";
import { GATE_STATES, TASK_OUTCOMES, TASK_STATUSES } from "./task.js";

/**
 * The task and schedule entries of the event catalogue (events.ts spreads
 * them in). Every one concerns a bot, so the realtime rooms of the bot's
 * organisation carry them: a board follows its cards from these alone.
 */

const status = z.enum(TASK_STATUSES);
const outcome = z.enum(TASK_OUTCOMES);
const taskId = z.string().describe("the task's id (`/api/v1/tasks/{id}`)");
const tokens = z
  .strictObject({
    input: z.number(),
    output: z.number(),
    cacheRead: z.number(),
    cacheWrite: z.number(),
  })
  .describe("tokens summed over every attempt's session");

export const TASK_EVENTS = {
  "task.created": entry({
    version: 1,
    summary:
      "A task was put on the board (by hand, or by a schedule): in `inbox` it waits; in `assigned` it is dispatched at once.",
    scope: "bot",
    data: z.strictObject({
      id: taskId,
      title: z.string(),
      status,
      scheduleId: z.string().nullable().describe("the schedule that made it; null by hand"),
      maxAttempts: z.number().int(),
      timeLimitMs: z.number().describe("per attempt"),
    }),
  }),
  "task.moved": entry({
    version: 1,
    summary:
      "A task changed column: by the service (assigned -> in_progress -> review or done; back to assigned for a retry) or by hand.",
    scope: "bot",
    data: z.strictObject({
      id: taskId,
      from: status,
      to: status,
      reason: z.string().describe("why, in words"),
    }),
  }),
  "task.gate": entry({
    version: 1,
    summary:
      'A task\'s approval gate (docs/tasks.md "Gates"): `pending` when a rule or its creator holds it for a person; `approved` or `denied` when decided (the actor says who).',
    scope: "bot",
    data: z.strictObject({
      id: taskId,
      state: z.enum(GATE_STATES),
      by: z
        .string()
        .describe("what asked for the gate: `rule 2` (of approvals.tasks) or `requested`"),
      reason: z.string().describe("the rule's reason, or the decider's"),
    }),
  }),
  "task.started": entry({
    version: 1,
    summary:
      "An attempt of a task was sent to the bot's agent (`chat.send`) in a session of its own.",
    scope: "bot",
    data: z.strictObject({
      id: taskId,
      attempt: z.number().int().describe("1 for the first"),
      sessionKey: z.string().describe("the attempt's own session key"),
      runId: z.string().describe("the gateway's run id"),
      deadline: isoTime.describe("when the time limit aborts it"),
    }),
  }),
  "task.completed": entry({
    version: 1,
    summary:
      "A task's attempt succeeded: the card goes to `review` (a person accepts it) or `done`.",
    scope: "bot",
    data: z.strictObject({
      id: taskId,
      attempt: z.number().int(),
      status: status.describe("`review` or `done`"),
      durationMs: z.number().describe("from the first dispatch to the end"),
      tokens,
      costUsd: z.number().describe("US dollars over every attempt"),
    }),
  }),
  "task.failed": entry({
    version: 1,
    summary:
      "A task's attempt failed, timed out or was cancelled; with `retryAt` another attempt follows, otherwise the task is done with that outcome.",
    scope: "bot",
    data: z.strictObject({
      id: taskId,
      attempt: z.number().int(),
      outcome,
      error: z.string().nullable().describe("why, in the gateway's words or clawops's"),
      retryAt: isoTime.nullable().describe("when the next attempt is sent; null: no more"),
      tokens,
      costUsd: z.number(),
    }),
  }),
  "schedule.changed": entry({
    version: 1,
    summary: "A schedule was created, changed, paused, resumed or removed.",
    scope: "bot",
    data: z.strictObject({
      id: z.string().describe("the schedule's id"),
      change: z.enum(["created", "updated", "paused", "resumed", "removed"]),
      everyMs: z.number(),
      enabled: z.boolean(),
      nextRunAt: isoTime,
    }),
  }),
} as const;
