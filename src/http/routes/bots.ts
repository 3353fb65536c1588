import type { FastifyRequest } from "fastify";
import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import { registerBot } from "../../fleet/registry.js";
import { removeBot } from "../../fleet/update.js";
import { apiPathPolicy, checkApiBotPaths } from "../bot-paths.js";
import { actorOf } from "../client.js";
import { concealingOthers, registrationOrg, scopeOf, scopedBot } from "../org-scope.js";
import { botRegistrationSchema, botSchema, gatewaySchema } from "../records/fleet.js";
import { type Api, botParams, queryBoolean, withErrors } from "../schema.js";
import { botUpdateRoutes } from "./bot-update.js";

const botAnswer = z.object({ bot: botSchema });

/** A removal with `?force=true` stops a running gateway first: the bot's host does that. */
const forcing = (request: FastifyRequest) =>
  (request.query as { force?: unknown }).force === "true";

/** The fleet registry over REST. */
export function botRoutes(app: Api, ctx: DaemonContext) {
  app.get(
    "/api/v1/bots",
    {
      schema: {
        tags: ["fleet"],
        summary: "List the registered bots",
        response: withErrors({ 200: z.object({ bots: z.array(botSchema) }) }),
      },
    },
    async (request) => ({ bots: await ctx.store.listBots({ org: scopeOf(request) }) }),
  );

  app.get(
    "/api/v1/bots/:name",
    {
      schema: {
        tags: ["fleet"],
        summary: "One bot",
        params: botParams,
        response: withErrors({ 200: botAnswer }),
      },
    },
    async (request) => ({ bot: await scopedBot(ctx, request, request.params.name) }),
  );

  app.post(
    "/api/v1/bots",
    {
      // What a gateway runs and reads is configuration: an admin's.
      config: { access: "admin" },
      schema: {
        tags: ["fleet"],
        summary: "Register a bot",
        description:
          "Paths must be absolute and inside `http.allowedRoots`; `openclawBin` is refused (403): only clawops.yaml and the local CLI choose an executable. The bot goes into the caller's organisation; `org` naming another one is refused (403) but for the local CLI's credential.",
        body: botRegistrationSchema,
        response: withErrors({ 201: botAnswer }, 403, 409),
      },
      // What the daemon will execute and read is checked here, at the network boundary, before
      // the body's shape: a refused executable or path is what the caller must hear about first.
      // clawops.yaml and the local CLI register through the same registry without it.
      preValidation: async (request) => {
        const others = (await ctx.store.listBots()).map((bot) => bot.stateDir);
        request.body = checkApiBotPaths(
          request.body ?? {},
          apiPathPolicy(ctx.config, others),
        ) as typeof request.body;
      },
    },
    async (request, reply) => {
      // `allowMissingConfig` is the CLI's --allow-missing: an option of the call, not of the bot.
      const { allowMissingConfig, ...input } = request.body;
      const org = registrationOrg(request, input.org);
      const bot = await concealingOthers(ctx, request, () =>
        registerBot(ctx.registry, { ...input, org }, actorOf(request), {
          allowMissingConfig: allowMissingConfig === true,
        }),
      );
      return reply.status(201).send({ bot });
    },
  );

  app.delete(
    "/api/v1/bots/:name",
    {
      // Unregistering is the store's; stopping the gateway first is its host's.
      config: { access: "admin", onOwnerHost: forcing },
      schema: {
        tags: ["fleet"],
        summary: "Unregister a bot; its files stay",
        description:
          "Refused with 409 while its gateway runs, unless `force=true`: the gateway is then stopped first (drained like any stop), and `stopped` is its state after.",
        params: botParams,
        querystring: z.strictObject({
          force: queryBoolean.meta({ description: "stop a running gateway first" }),
        }),
        response: withErrors(
          { 200: z.object({ removed: botSchema, stopped: gatewaySchema.nullable() }) },
          403,
          409,
        ),
      },
    },
    async (request) =>
      removeBot(ctx.registry, ctx.supervisor, request.params.name, actorOf(request), {
        force: request.query.force === true,
        org: scopeOf(request),
      }),
  );

  botUpdateRoutes(app, ctx);

  const lifecycleAnswer = z.object({ bot: botSchema, gateway: gatewaySchema });
  for (const action of ["start", "stop", "restart"] as const) {
    app.post(
      `/api/v1/bots/:name/${action}`,
      {
        config: { onOwnerHost: true },
        schema: {
          tags: ["fleet"],
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a bot's gateway`,
          params: botParams,
          response: withErrors({ 200: lifecycleAnswer }, 403, 409),
          description:
            "For a bot another host runs, the call is forwarded to that host's daemon and its answer relayed; 503 naming the host when it is unreachable (docs/hosts.md).",
        },
      },
      async (request) => {
        const bot = await scopedBot(ctx, request, request.params.name);
        const gateway = await ctx.supervisor[action](bot.id, actorOf(request));
        return { bot: await scopedBot(ctx, request, bot.id), gateway };
      },
    );
  }
}
