import type { FastifyInstance, FastifyRequest } from "fastify";
import type { DaemonContext } from "../daemon/context.js";
import { OpsError } from "../core/errors.js";
import { forwarded } from "../hosts/fleet-hosts.js";
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
    /**
     * The route's work happens on the host this names (a bot's move: its new
     * host): called on another host, it goes to that host's daemon.
     */
    onHost?: (request: FastifyRequest) => string;
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
    const { onOwnerHost: rule, onHost } = request.routeOptions.config;
    const name = (request.params as { name?: unknown } | undefined)?.name;
    if ((rule === undefined && onHost === undefined) || typeof name !== "string") return;
    if (onHost) {
      const host = onHost(request);
      if (host === ctx.hosts.id) return;
      const bot = await scopedBot(ctx, request, name);
      if (forwarded(request))
        throw new OpsError(
          "CONFLICT",
          `host "${ctx.hosts.id}" was asked for host "${host}"'s part`,
        );
      const relayed = await ctx.hosts.ask(host, ownerPath(request, bot.id), request);
      return reply.status(relayed.status).send(relayed.body);
    }
    if (rule !== true && !rule!(request)) return;
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
