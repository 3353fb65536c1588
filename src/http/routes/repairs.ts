import type { FastifyRequest } from "fastify";
import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import { actorOf } from "../client.js";
import { requireDaemonWide, scopeOf, scopedBot } from "../org-scope.js";
import {
  repairPauseSchema,
  repairSchema,
  repairStatsSchema,
  repairStatusSchema,
} from "../records/operations.js";
import { type Api, botParams, queryBoolean, withErrors } from "../schema.js";

const listQuery = z.strictObject({
  bot: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const repairQuery = z.strictObject({
  dryRun: queryBoolean.meta({ description: "plan only: nothing is changed" }),
});
const pauseQuery = z.strictObject({ reason: z.string().max(500).optional() });

/**
 * The repair pipeline over REST: history, stats, status (pauses, budgets),
 * a manual repair (it answers when the repair is over), pause and resume.
 */
export function repairRoutes(app: Api, ctx: DaemonContext) {
  app.get(
    "/api/v1/repairs",
    {
      schema: {
        tags: ["repair"],
        summary: "Repair history, newest first",
        querystring: listQuery,
        response: withErrors({ 200: z.object({ repairs: z.array(repairSchema) }) }),
      },
    },
    async (request) => ({
      repairs: await ctx.repair.ledger.list({ ...request.query, org: scopeOf(request) }),
    }),
  );

  app.get(
    "/api/v1/repairs/stats",
    {
      schema: {
        tags: ["repair"],
        summary: "Repair figures: rates and mean times",
        querystring: listQuery.pick({ bot: true }),
        response: withErrors({ 200: z.object({ stats: repairStatsSchema }) }),
      },
    },
    async (request) => ({
      stats: await ctx.repair.ledger.stats(request.query.bot, scopeOf(request)),
    }),
  );

  app.get(
    "/api/v1/repairs/status",
    {
      schema: {
        tags: ["repair"],
        summary: "Whether repair acts now: pauses and each bot's budget",
        response: withErrors({ 200: repairStatusSchema }),
      },
    },
    async (request) => ctx.repair.status(scopeOf(request)),
  );

  app.post(
    "/api/v1/bots/:name/repair",
    {
      config: { onOwnerHost: true },
      schema: {
        tags: ["repair"],
        summary: "Repair a bot now (answers when the repair is over)",
        params: botParams,
        querystring: repairQuery,
        response: withErrors({ 200: z.object({ repair: repairSchema }) }, 403, 409),
      },
    },
    async (request) => {
      const bot = await scopedBot(ctx, request, request.params.name);
      const repair = await ctx.repair.repair(bot.id, {
        actor: actorOf(request),
        dryRun: request.query.dryRun,
      });
      return { repair };
    },
  );

  for (const scope of ["bot", "fleet"] as const) {
    const base = scope === "bot" ? "/api/v1/bots/:name/repair" : "/api/v1/repairs";
    const params = scope === "bot" ? botParams : z.object({});
    const whose = scope === "bot" ? "a bot" : "the fleet";
    app.post(
      `${base}/pause`,
      {
        schema: {
          tags: ["repair"],
          summary: `Pause automatic repair of ${whose}`,
          params,
          querystring: pauseQuery,
          response: withErrors({ 200: z.object({ pause: repairPauseSchema }) }, 403),
        },
      },
      async (request) => ({
        pause: await ctx.repair.ledger.pause(
          await scopeTarget(ctx, request, nameOf(request.params)),
          actorOf(request),
          request.query.reason ?? "",
        ),
      }),
    );
    app.post(
      `${base}/resume`,
      {
        schema: {
          tags: ["repair"],
          summary: `Resume automatic repair of ${whose}`,
          params,
          response: withErrors({ 200: z.object({ resumed: z.boolean() }) }, 403),
        },
      },
      async (request) => ({
        resumed: await ctx.repair.ledger.resume(
          await scopeTarget(ctx, request, nameOf(request.params)),
          actorOf(request),
        ),
      }),
    );
  }
}

/**
 * A pause's target as the principal may act on it: its organisation's bot
 * (404 for another's), or the whole fleet for the default organisation only.
 */
async function scopeTarget(
  ctx: DaemonContext,
  request: FastifyRequest,
  name: string | null,
): Promise<string | null> {
  if (name === null) {
    requireDaemonWide(request, "the fleet-wide repair pause");
    return null;
  }
  return (await scopedBot(ctx, request, name)).name;
}

/** The bot a pause or resume is about; null for the fleet's. */
function nameOf(params: { name?: string }): string | null {
  return params.name ?? null;
}
