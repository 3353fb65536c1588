import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import { actorOf } from "../client.js";
import { parseQuery, queryBoolean } from "../query.js";

const listQuery = z.strictObject({
  bot: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const repairQuery = z.strictObject({ dryRun: queryBoolean });
const pauseQuery = z.strictObject({ reason: z.string().max(500).optional() });

/**
 * The repair pipeline over REST: history, stats, status (pauses, budgets),
 * a manual repair (it answers when the repair is over), pause and resume.
 */
export function repairRoutes(app: FastifyInstance, ctx: DaemonContext) {
  app.get("/api/v1/repairs", async (request) => {
    const query = parseQuery(listQuery, request.query);
    return { repairs: await ctx.repair.ledger.list(query) };
  });

  app.get("/api/v1/repairs/stats", async (request) => {
    const { bot } = parseQuery(listQuery.pick({ bot: true }), request.query);
    return { stats: await ctx.repair.ledger.stats(bot) };
  });

  app.get("/api/v1/repairs/status", async () => ctx.repair.status());

  app.post<{ Params: { name: string } }>("/api/v1/bots/:name/repair", async (request) => {
    const { dryRun } = parseQuery(repairQuery, request.query);
    const repair = await ctx.repair.repair(request.params.name, {
      actor: actorOf(request),
      dryRun,
    });
    return { repair };
  });

  for (const scope of ["bot", "fleet"] as const) {
    const base = scope === "bot" ? "/api/v1/bots/:name/repair" : "/api/v1/repairs";
    app.post<{ Params: { name?: string } }>(`${base}/pause`, async (request) => {
      const { reason } = parseQuery(pauseQuery, request.query);
      return {
        pause: await ctx.repair.ledger.pause(
          request.params.name ?? null,
          actorOf(request),
          reason ?? "",
        ),
      };
    });
    app.post<{ Params: { name?: string } }>(`${base}/resume`, async (request) => ({
      resumed: await ctx.repair.ledger.resume(request.params.name ?? null, actorOf(request)),
    }));
  }
}
