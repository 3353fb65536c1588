import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { resolveSince } from "../../core/duration.js";
import { OpsError } from "../../core/errors.js";
import { TASK_STATUSES, type Task } from "../../core/task.js";
import type { DaemonContext } from "../../daemon/context.js";
import { actorOf } from "../client.js";
import { scopeOf, scopedBot } from "../org-scope.js";
import { taskAnalyticsSchema, taskRunSchema, taskSchema } from "../records/tasks.js";
import { type Api, withErrors } from "../schema.js";

/** At most a day per attempt; at most 10 attempts. */
export const MAX_TIME_LIMIT_MS = 86_400_000;
export const MAX_ATTEMPTS = 10;

const createBody = z.strictObject({
  bot: z.string().min(1).describe("the bot's name or id"),
  prompt: z.string().min(1).max(100_000).describe("what the agent is asked to do"),
  title: z
    .string()
    .max(200)
    .optional()
    .describe("the card's title; default the prompt's first line"),
  status: z
    .enum(["inbox", "assigned"])
    .default("assigned")
    .describe("`assigned` dispatches it at once; `inbox` waits for a move to assigned"),
  maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS).optional().describe("default 1"),
  timeLimitMs: z
    .number()
    .int()
    .min(1_000)
    .max(MAX_TIME_LIMIT_MS)
    .optional()
    .describe("per attempt, default 600000 (10 min)"),
  review: z
    .boolean()
    .optional()
    .describe("a success waits in review for a person (default true) or goes to done"),
  gate: z
    .boolean()
    .optional()
    .describe("a person approves it before it runs, whatever `approvals.tasks` says"),
});
// Optional: a POST without a body (Fastify gives it as null) decides without a reason.
const decisionBody = z
  .strictObject({ reason: z.string().min(1).max(500).optional() })
  .nullish()
  .describe("the reason, said on the card and in the audit trail");
const listQuery = z.strictObject({
  bot: z.string().min(1).optional(),
  status: z.enum(TASK_STATUSES).optional(),
  schedule: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const analyticsQuery = z.strictObject({
  bot: z.string().min(1).optional(),
  since: z
    .string()
    .optional()
    .describe(
      'only tasks finished since: a duration back from now ("24h", "7d") or an ISO 8601 time',
    ),
});
const idParams = z.object({ id: z.string() });
const taskAnswer = z.object({ task: taskSchema });

/** The task the request names, when its principal's organisation holds its bot; 404 as for none otherwise. */
export async function scopedTask(
  ctx: DaemonContext,
  request: FastifyRequest,
  id: string,
): Promise<Task> {
  const task = await ctx.store.tasks.getTask(id, scopeOf(request));
  if (!task) throw new OpsError("NOT_FOUND", `no task ${id}`);
  return task;
}

/**
 * Tasks (Mission Control) over REST: the board (`GET /api/v1/tasks`), one
 * card with its attempts, creating, moving, cancelling and retrying cards,
 * and per-bot analytics. Organisation-scoped like the bot routes: another
 * organisation's task is a 404. Reads are a viewer's, changes an operator's.
 */
export function taskRoutes(app: Api, ctx: DaemonContext) {
  app.get(
    "/api/v1/tasks",
    {
      schema: {
        tags: ["tasks"],
        summary: "The board: tasks newest first, by bot, column or schedule",
        querystring: listQuery,
        response: withErrors({ 200: z.object({ tasks: z.array(taskSchema) }) }),
      },
    },
    async (request) => {
      const { bot, status, schedule, limit } = request.query;
      const botId = bot ? (await scopedBot(ctx, request, bot)).id : undefined;
      const tasks = await ctx.store.tasks.listTasks({
        botId,
        status,
        scheduleId: schedule,
        limit,
        org: scopeOf(request),
      });
      return { tasks };
    },
  );

  app.post(
    "/api/v1/tasks",
    {
      schema: {
        tags: ["tasks"],
        summary: "Put a task on the board (dispatched at once unless it goes to the inbox)",
        description:
          "A gate (a rule of `approvals.tasks`, or `gate: true`) holds it in the inbox until approved; a rule that denies it answers 403.",
        body: createBody,
        response: withErrors({ 201: taskAnswer }),
      },
    },
    async (request, reply) => {
      const { bot: name, ...input } = request.body;
      const bot = await scopedBot(ctx, request, name);
      const task = await ctx.tasks.create({ ...input, bot }, actorOf(request));
      return reply.status(201).send({ task });
    },
  );

  app.get(
    "/api/v1/tasks/analytics",
    {
      schema: {
        tags: ["tasks"],
        summary: "Per bot: success rate, mean completion time, cost per task",
        querystring: analyticsQuery,
        response: withErrors({ 200: z.object({ bots: z.array(taskAnalyticsSchema) }) }),
      },
    },
    async (request) => {
      const { bot, since } = request.query;
      const from = since === undefined ? undefined : resolveSince(since);
      if (since !== undefined && from === undefined)
        throw new OpsError(
          "VALIDATION",
          'since must be a duration back from now ("24h", "7d") or an ISO 8601 time',
          { issues: [{ path: "since", message: "not a time", severity: "error" }] },
        );
      const botId = bot ? (await scopedBot(ctx, request, bot)).id : undefined;
      return {
        bots: await ctx.store.tasks.analytics({ botId, since: from, org: scopeOf(request) }),
      };
    },
  );

  app.get(
    "/api/v1/tasks/:id",
    {
      schema: {
        tags: ["tasks"],
        summary: "One task with every attempt's run (its own session, outcome, tokens, cost)",
        params: idParams,
        response: withErrors({
          200: z.object({ task: taskSchema, runs: z.array(taskRunSchema) }),
        }),
      },
    },
    async (request) => {
      const task = await scopedTask(ctx, request, request.params.id);
      return { task, runs: await ctx.store.tasks.listRuns(task.id) };
    },
  );

  app.post(
    "/api/v1/tasks/:id/move",
    {
      schema: {
        tags: ["tasks"],
        summary: "Move a card by hand: inbox <-> assigned, review -> done or inbox",
        description:
          "Moving to assigned dispatches it; review to inbox starts it over. A running card is cancelled instead, an ended one retried (409 otherwise).",
        params: idParams,
        body: z.strictObject({ to: z.enum(TASK_STATUSES) }),
        response: withErrors({ 200: taskAnswer }, 409),
      },
    },
    async (request) => {
      const task = await scopedTask(ctx, request, request.params.id);
      return { task: await ctx.tasks.move(task.id, request.body.to, actorOf(request)) };
    },
  );

  app.post(
    "/api/v1/tasks/:id/cancel",
    {
      schema: {
        tags: ["tasks"],
        summary: "Cancel a task that has not ended (a running one is aborted on its gateway)",
        params: idParams,
        response: withErrors({ 200: taskAnswer }, 409),
      },
    },
    async (request) => {
      const task = await scopedTask(ctx, request, request.params.id);
      return { task: await ctx.tasks.cancel(task.id, actorOf(request)) };
    },
  );

  app.post(
    "/api/v1/tasks/:id/retry",
    {
      schema: {
        tags: ["tasks"],
        summary: "Run an ended task again: a fresh series of attempts, each in a new session",
        params: idParams,
        response: withErrors({ 200: taskAnswer }, 409),
      },
    },
    async (request) => {
      const task = await scopedTask(ctx, request, request.params.id);
      return { task: await ctx.tasks.retry(task.id, actorOf(request)) };
    },
  );

  for (const [verb, approve] of [
    ["approve", true],
    ["deny", false],
  ] as const)
    app.post(
      `/api/v1/tasks/:id/${verb}`,
      {
        schema: {
          tags: ["tasks"],
          summary: approve
            ? "Approve a task its gate holds: it is assigned and dispatched at once"
            : "Deny a task its gate holds: it is done (cancelled) with the reason",
          params: idParams,
          body: decisionBody,
          response: withErrors({ 200: taskAnswer }, 409),
        },
      },
      async (request) => {
        const task = await scopedTask(ctx, request, request.params.id);
        const decided = await ctx.tasks.decide(
          task.id,
          approve,
          actorOf(request),
          request.body?.reason,
        );
        return { task: decided };
      },
    );
}
