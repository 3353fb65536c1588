import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import { requireBot } from "../../fleet/registry.js";
import { parseQuery } from "../query.js";

const querySchema = z.strictObject({
  bot: z.string().optional(),
  type: z.string().optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** `GET /api/v1/events?bot=&type=&after=&limit=`: the lifecycle and audit log. */
export function eventRoutes(app: FastifyInstance, ctx: DaemonContext) {
  app.get("/api/v1/events", async (request) => {
    const { bot, type, after, limit } = parseQuery(querySchema, request.query);
    const botId = bot ? (await requireBot(ctx.store, bot)).id : undefined;
    return { events: await ctx.store.listEvents({ botId, type, afterId: after, limit }) };
  });
}
