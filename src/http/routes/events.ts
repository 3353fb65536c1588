import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import { scopeOf, scopedBot, seesDaemonWide } from "../org-scope.js";
import { eventSchema } from "../records/operations.js";
import { type Api, withErrors } from "../schema.js";

const querySchema = z.strictObject({
  bot: z.string().optional().meta({ description: "only this bot's events" }),
  type: z.string().optional().meta({
    description: "a type, or a prefix ending in `.`; several, comma-separated: any of them",
  }),
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: "only events at or after this time (ISO 8601)" }),
  after: z.coerce.number().int().min(0).optional().meta({ description: "events after this id" }),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** `GET /api/v1/events?bot=&type=&since=&after=&limit=`: the lifecycle and audit log. */
export function eventRoutes(app: Api, ctx: DaemonContext) {
  app.get(
    "/api/v1/events",
    {
      schema: {
        tags: ["events"],
        summary: "The lifecycle and audit log",
        description:
          "The events of the principal's organisation's bots (removed ones included); events that concern no bot (the daemon's start and stop, fleet-wide pauses, owner budgets) only for the default organisation's principals.",
        querystring: querySchema,
        response: withErrors({ 200: z.object({ events: z.array(eventSchema) }) }),
      },
    },
    async (request) => {
      const { bot, type, after, limit, since } = request.query;
      const botId = bot ? (await scopedBot(ctx, request, bot)).id : undefined;
      const org = scopeOf(request);
      const fleet = seesDaemonWide(request);
      return {
        events: await ctx.store.listEvents({
          botId,
          org,
          fleet,
          type: type?.split(","),
          afterId: after,
          limit,
          since: since === undefined ? undefined : new Date(since).toISOString(),
        }),
      };
    },
  );
}
