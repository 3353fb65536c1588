import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { OpsError } from "../../core/errors.js";
import type { Schedule } from "../../core/task.js";
import type { DaemonContext } from "../../daemon/context.js";
import { MIN_EVERY_MS } from "../../tasks/schedules.js";
import { actorOf } from "../client.js";
import { scopeOf, scopedBot } from "../org-scope.js";
import { scheduleSchema, taskSchema } from "../records/tasks.js";
import { type Api, withErrors } from "../schema.js";
import { MAX_ATTEMPTS, MAX_TIME_LIMIT_MS } from "./tasks.js";

const every = z
  .number()
  .int()
  .min(MIN_EVERY_MS)
  .max(30 * 86_400_000)
  .describe("the period, ms");
const fields = {
  prompt: z.string().min(1).max(100_000),
  title: z.string().max(200).optional(),
  timeLimitMs: z.number().int().min(1_000).max(MAX_TIME_LIMIT_MS).optional(),
  maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS).optional(),
};
const createBody = z.strictObject({
  bot: z.string().min(1),
  everyMs: every,
  ...fields,
  enabled: z.boolean().optional(),
  runNow: z.boolean().optional().describe("the first task now (default: one period from now)"),
});
const patchBody = z.strictObject({
  everyMs: every.optional(),
  prompt: fields.prompt.optional(),
  title: fields.title,
  timeLimitMs: fields.timeLimitMs,
  maxAttempts: fields.maxAttempts,
  enabled: z.boolean().optional(),
});
const idParams = z.object({ id: z.string() });
const scheduleAnswer = z.object({ schedule: scheduleSchema });

async function scopedSchedule(
  ctx: DaemonContext,
  request: FastifyRequest,
  id: string,
): Promise<Schedule> {
  const schedule = await ctx.store.tasks.getSchedule(id, scopeOf(request));
  if (!schedule) throw new OpsError("NOT_FOUND", `no schedule ${id}`);
  return schedule;
}

/**
 * Schedules (heartbeats: "every 5 minutes, run this") over REST. Reading is
 * a viewer's; creating, changing, resuming and removing one is an admin's,
 * since a schedule spends on its own with nobody watching; pausing one (which
 * only stops spending) is an operator's. Organisation-scoped like tasks.
 */
export function scheduleRoutes(app: Api, ctx: DaemonContext) {
  app.get(
    "/api/v1/schedules",
    {
      schema: {
        tags: ["tasks"],
        summary: "Schedules, by bot",
        querystring: z.strictObject({ bot: z.string().min(1).optional() }),
        response: withErrors({ 200: z.object({ schedules: z.array(scheduleSchema) }) }),
      },
    },
    async (request) => {
      const { bot } = request.query;
      const botId = bot ? (await scopedBot(ctx, request, bot)).id : undefined;
      return { schedules: await ctx.store.tasks.listSchedules({ botId, org: scopeOf(request) }) };
    },
  );

  app.post(
    "/api/v1/schedules",
    {
      config: { access: "admin" },
      schema: {
        tags: ["tasks"],
        summary: "Create a schedule: a task from the same prompt every `everyMs`, unattended",
        body: createBody,
        response: withErrors({ 201: scheduleAnswer }, 403),
      },
    },
    async (request, reply) => {
      const { bot: name, ...input } = request.body;
      const bot = await scopedBot(ctx, request, name);
      const schedule = await ctx.schedules.create({ ...input, bot }, actorOf(request));
      return reply.status(201).send({ schedule });
    },
  );

  app.get(
    "/api/v1/schedules/:id",
    {
      schema: {
        tags: ["tasks"],
        summary: "One schedule and its history (its latest tasks, newest first)",
        params: idParams,
        querystring: z.strictObject({
          limit: z.coerce.number().int().min(1).max(1000).optional(),
        }),
        response: withErrors({
          200: z.object({ schedule: scheduleSchema, tasks: z.array(taskSchema) }),
        }),
      },
    },
    async (request) => {
      const schedule = await scopedSchedule(ctx, request, request.params.id);
      const tasks = await ctx.store.tasks.listTasks({
        scheduleId: schedule.id,
        limit: request.query.limit ?? 50,
      });
      return { schedule, tasks };
    },
  );

  app.patch(
    "/api/v1/schedules/:id",
    {
      config: { access: "admin" },
      schema: {
        tags: ["tasks"],
        summary: "Change a schedule (period, prompt, limits, enabled)",
        params: idParams,
        body: patchBody,
        response: withErrors({ 200: scheduleAnswer }, 403),
      },
    },
    async (request) => {
      const schedule = await scopedSchedule(ctx, request, request.params.id);
      return {
        schedule: await ctx.schedules.update(schedule.id, request.body, actorOf(request)),
      };
    },
  );

  app.post(
    "/api/v1/schedules/:id/pause",
    {
      schema: {
        tags: ["tasks"],
        summary: "Pause a schedule: it makes no task until resumed (a running one goes on)",
        params: idParams,
        response: withErrors({ 200: scheduleAnswer }),
      },
    },
    async (request) => {
      const schedule = await scopedSchedule(ctx, request, request.params.id);
      return {
        schedule: await ctx.schedules.update(schedule.id, { enabled: false }, actorOf(request)),
      };
    },
  );

  app.post(
    "/api/v1/schedules/:id/resume",
    {
      config: { access: "admin" },
      schema: {
        tags: ["tasks"],
        summary: "Resume a schedule (a run missed while paused is made once, at once)",
        params: idParams,
        response: withErrors({ 200: scheduleAnswer }, 403),
      },
    },
    async (request) => {
      const schedule = await scopedSchedule(ctx, request, request.params.id);
      return {
        schedule: await ctx.schedules.update(schedule.id, { enabled: true }, actorOf(request)),
      };
    },
  );

  app.delete(
    "/api/v1/schedules/:id",
    {
      config: { access: "admin" },
      schema: {
        tags: ["tasks"],
        summary: "Remove a schedule (its tasks stay on the board)",
        params: idParams,
        response: withErrors({ 200: scheduleAnswer }, 403),
      },
    },
    async (request) => {
      const schedule = await scopedSchedule(ctx, request, request.params.id);
      return { schedule: await ctx.schedules.remove(schedule.id, actorOf(request)) };
    },
  );
}
