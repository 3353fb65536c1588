import { z } from "zod";
import { resolveSince } from "../../core/duration.js";
import { OpsError } from "../../core/errors.js";
import type { DaemonContext } from "../../daemon/context.js";
import { reconcileCost } from "../../ingest/reconcile.js";
import { scopeOf, scopedBot } from "../org-scope.js";
import {
  costFindingsSchema,
  costSchema,
  messagePageSchema,
  sessionPageSchema,
  sessionSchema,
} from "../records/sessions.js";
import { type Api, botParams, withErrors } from "../schema.js";

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
  .optional()
  .meta({ description: 'a duration back from now ("24h", "7d") or an ISO 8601 time' });

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
const sessionParams = botParams.extend({ id: z.string() });

/**
 * Sessions, transcripts and cost over REST, paged by cursor:
 * `GET /api/v1/sessions`, `GET /api/v1/bots/:name/sessions/:id`,
 * `GET /api/v1/bots/:name/sessions/:id/messages`, `GET /api/v1/cost`.
 */
export function sessionRoutes(app: Api, ctx: DaemonContext) {
  const sessions = ctx.store.sessions;

  app.get(
    "/api/v1/sessions",
    {
      schema: {
        tags: ["sessions"],
        summary: "Sessions of every gateway, newest activity first, paged by cursor",
        querystring: listQuery,
        response: withErrors({ 200: sessionPageSchema }),
      },
    },
    async (request) => {
      const { bot, ...query } = request.query;
      const botId = bot ? (await scopedBot(ctx, request, bot)).id : undefined;
      return sessions.listSessions({ ...query, botId, org: scopeOf(request) });
    },
  );

  app.get(
    "/api/v1/bots/:name/sessions/:id",
    {
      schema: {
        tags: ["sessions"],
        summary: "One session",
        params: sessionParams,
        response: withErrors({ 200: z.object({ session: sessionSchema }) }),
      },
    },
    async (request) => {
      const bot = await scopedBot(ctx, request, request.params.name);
      const session = await sessions.getSession(bot.id, request.params.id);
      if (!session)
        throw new OpsError("NOT_FOUND", `bot ${bot.name} has no session ${request.params.id}`);
      return { session };
    },
  );

  app.get(
    "/api/v1/bots/:name/sessions/:id/messages",
    {
      schema: {
        tags: ["sessions"],
        summary: "A session's transcript, paged by seq",
        params: sessionParams,
        querystring: messagesQuery,
        response: withErrors({ 200: messagePageSchema }),
      },
    },
    async (request) => {
      const { after, limit } = request.query;
      const bot = await scopedBot(ctx, request, request.params.name);
      const messages = await sessions.listMessages(bot.id, request.params.id, {
        afterSeq: after,
        limit,
      });
      const last = messages.at(-1);
      return { messages, nextAfter: last && messages.length === (limit ?? 200) ? last.seq : null };
    },
  );

  app.get(
    "/api/v1/cost/findings",
    {
      schema: {
        tags: ["sessions"],
        summary: "Cost reconciliation: unknown prices, model mismatches, spend spikes",
        querystring: costQuery.omit({ by: true, until: true }),
        response: withErrors({ 200: costFindingsSchema }),
      },
    },
    async (request) => {
      const { bot, since } = request.query;
      const bots = bot
        ? [await scopedBot(ctx, request, bot)]
        : await ctx.store.listBots({ org: scopeOf(request) });
      return { findings: await reconcileCost(ctx.store, bots, { since }) };
    },
  );

  app.get(
    "/api/v1/cost",
    {
      schema: {
        tags: ["sessions"],
        summary: "Tokens and cost summed by bot, model, owner or day",
        querystring: costQuery,
        response: withErrors({ 200: costSchema }),
      },
    },
    async (request) => {
      const { by, bot, since, until } = request.query;
      const botId = bot ? (await scopedBot(ctx, request, bot)).id : undefined;
      const org = scopeOf(request);
      return { by, rows: await sessions.costBy(by, { botId, org, since, until }) };
    },
  );
}
