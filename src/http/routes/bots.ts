import type { FastifyInstance } from "fastify";
import type { DaemonContext } from "../../daemon/context.js";
import type { BotInput } from "../../core/bot.js";
import { registerBot, requireBot, unregisterBot } from "../../fleet/registry.js";
import { apiPathPolicy, checkApiBotPaths } from "../bot-paths.js";
import { actorOf } from "../client.js";

/** The fleet registry over REST. */
export function botRoutes(app: FastifyInstance, ctx: DaemonContext) {
  app.get("/api/v1/bots", async () => ({ bots: await ctx.store.listBots() }));

  app.get<{ Params: { name: string } }>("/api/v1/bots/:name", async (request) => ({
    bot: await requireBot(ctx.store, request.params.name),
  }));

  app.post<{ Body: BotInput & { allowMissingConfig?: boolean } }>(
    "/api/v1/bots",
    async (request, reply) => {
      // `allowMissingConfig` is the CLI's --allow-missing: an option of the call, not of the bot.
      const { allowMissingConfig, ...body } = request.body ?? {};
      // What the daemon will execute and read is checked here, at the network boundary:
      // clawops.yaml and the local CLI register through the same registry without it.
      const others = (await ctx.store.listBots()).map((bot) => bot.stateDir);
      const input = checkApiBotPaths(body, apiPathPolicy(ctx.config, others)) as BotInput;
      const bot = await registerBot(ctx.registry, input, actorOf(request), {
        allowMissingConfig: allowMissingConfig === true,
      });
      return reply.status(201).send({ bot });
    },
  );

  app.delete<{ Params: { name: string } }>("/api/v1/bots/:name", async (request) => ({
    removed: await unregisterBot(ctx.registry, request.params.name, actorOf(request)),
  }));

  for (const action of ["start", "stop", "restart"] as const) {
    app.post<{ Params: { name: string } }>(`/api/v1/bots/:name/${action}`, async (request) => {
      const gateway = await ctx.supervisor[action](request.params.name, actorOf(request));
      return { bot: await requireBot(ctx.store, request.params.name), gateway };
    });
  }
}
