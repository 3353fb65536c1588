import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { resolveSince } from "../../core/duration.js";
import { OpsError } from "../../core/errors.js";
import type { DaemonContext } from "../../daemon/context.js";
import { requireBot } from "../../fleet/registry.js";
import { reconcileCost } from "../../ingest/reconcile.js";
import { parseQuery } from "../query.js";

const when = z
  .string()
  .transform((value, ctx) => {
    const at = resolveSince(value);
    if (!at) {
      ctx.addIssue({
        code: "custom",
        message: 'expected a duration back from now ("24h", "7d") or an ISO 8601 time',
      });
      return z.NEVER;
    }
    return at;
  })
  .optional();

const listQuery = z.strictObject({
  bot: z.string().min(1).optional(),
  since: when,
  search: z.string().min(1).max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().min(1).optional(),
});
const messagesQuery = z.strictObject({
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const costQuery = z.strictObject({
  by: z.enum(["bot", "model", "owner", "day"]).default("bot"),
  bot: z.string().min(1).optional(),
  since: when,
  until: when,
});

/**
 * Sessions, transcripts and cost over REST, paged by cursor:
 * `GET /api/v1/sessions`, `GET /api/v1/bots/:name/sessions/:id`,
 * `GET /api/v1/bots/:name/sessions/:id/messages`, `GET /api/v1/cost`.
 */
export function sessionRoutes(app: FastifyInstance, ctx: DaemonContext) {
  const sessions = ctx.store.sessions;

  app.get("/api/v1/sessions", async (request) => {
    const { bot, ...query } = parseQuery(listQuery, request.query);
    const botId = bot ? (await requireBot(ctx.store, bot)).id : undefined;
    return sessions.listSessions({ ...query, botId });
  });

  app.get<{ Params: { name: string; id: string } }>(
    "/api/v1/bots/:name/sessions/:id",
    async (request) => {
      const bot = await requireBot(ctx.store, request.params.name);
      const session = await sessions.getSession(bot.id, request.params.id);
      if (!session)
        throw new OpsError("NOT_FOUND", `bot ${bot.name} has no session ${request.params.id}`);
      return { session };
    },
  );

  app.get<{ Params: { name: string; id: string } }>(
    "/api/v1/bots/:name/sessions/:id/messages",
    async (request) => {
      const { after, limit } = parseQuery(messagesQuery, request.query);
      const bot = await requireBot(ctx.store, request.params.name);
      const messages = await sessions.listMessages(bot.id, request.params.id, {
        afterSeq: after,
        limit,
      });
      const last = messages.at(-1);
      return { messages, nextAfter: last && messages.length === (limit ?? 200) ? last.seq : null };
    },
  );

  app.get("/api/v1/cost/findings", async (request) => {
    const { bot, since } = parseQuery(costQuery.omit({ by: true, until: true }), request.query);
    const bots = bot ? [await requireBot(ctx.store, bot)] : await ctx.store.listBots();
    return { findings: await reconcileCost(ctx.store, bots, { since }) };
  });

  app.get("/api/v1/cost", async (request) => {
    const { by, bot, since, until } = parseQuery(costQuery, request.query);
    const botId = bot ? (await requireBot(ctx.store, bot)).id : undefined;
    return { by, rows: await sessions.costBy(by, { botId, since, until }) };
  });
}
