import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import { OpsError, formatIssues } from "../../core/errors.js";
import { toIssues } from "../../core/validation.js";
import { requireBot } from "../../fleet/registry.js";

const querySchema = z.strictObject({
  bot: z.string().optional(),
  type: z.string().optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** `GET /api/v1/events?bot=&type=&after=&limit=`: the lifecycle and audit log. */
export function eventRoutes(app: FastifyInstance, ctx: DaemonContext) {
  app.get("/api/v1/events", async (request) => {
    const parsed = querySchema.safeParse(request.query);
    if (!parsed.success) {
      const issues = toIssues(parsed.error);
      throw new OpsError("VALIDATION", `invalid query:\n${formatIssues(issues)}`, { issues });
    }
    const { bot, type, after, limit } = parsed.data;
    const botId = bot ? (await requireBot(ctx.store, bot)).id : undefined;
    return { events: await ctx.store.listEvents({ botId, type, afterId: after, limit }) };
  });
}
