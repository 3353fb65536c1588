import type { FastifyInstance, FastifyRequest } from "fastify";
import type { DaemonContext } from "../daemon/context.js";
import { scopedBot } from "./org-scope.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The route's work happens where the bot's gateway runs (its supervisor,
     * its files, its gateway connection): for a bot another host runs, the call
     * goes to that host's daemon. A function decides per request (a removal
     * forwards only when it must stop the gateway).
     */
    onOwnerHost?: true | ((request: FastifyRequest) => boolean);
  }
}

/**
 * Forwards the calls of `onOwnerHost` routes on another host's bot to that
 * host's daemon, with the caller's own credentials and body, and relays its
 * answer as it is (docs/hosts.md "Routing"). After validation (a malformed
 * call is refused here, as for a local bot), before the handler; a route's
 * own checks of this host's disk skip another host's bot (bot-update.ts).
 */
export function registerOwnerRouting(scope: FastifyInstance, ctx: DaemonContext): void {
  scope.addHook("preHandler", async (request, reply) => {
    const rule = request.routeOptions.config.onOwnerHost;
    const name = (request.params as { name?: unknown } | undefined)?.name;
    if (rule === undefined || typeof name !== "string") return;
    if (rule !== true && !rule(request)) return;
    const bot = await scopedBot(ctx, request, name);
    if (!ctx.hosts.ownedElsewhere(bot)) return;
    const relayed = await ctx.hosts.forward(bot, ownerPath(request, bot.id), request);
    return reply.status(relayed.status).send(relayed.body);
  });
}

/**
 * The route's path for the owner, naming the bot by id (its name is the
 * caller's word for it; the id is the same on every host) and keeping the
 * other parameters and the query string.
 */
function ownerPath(request: FastifyRequest, botId: string): string {
  const params = request.params as Record<string, string>;
  const route = request.routeOptions.url!.replace(/:(\w+)/g, (_, key: string) =>
    encodeURIComponent(key === "name" ? botId : (params[key] ?? "")),
  );
  const query = request.url.indexOf("?");
  return query === -1 ? route : route + request.url.slice(query);
}
