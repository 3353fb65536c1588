import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { DEFAULT_ORG, orgScope } from "../../core/access.js";
import type { DaemonContext } from "../../daemon/context.js";
import { scopeMetrics } from "../metrics-scope.js";
import { readinessSchema } from "../records/fleet.js";
import type { Api } from "../schema.js";

/**
 * Liveness and readiness (unauthenticated and cheap), and metrics (with
 * credentials unless `http.publicMetrics`, scoped to the caller's organisation).
 */
export function probeRoutes(app: Api, ctx: DaemonContext) {
  app.get(
    "/healthz",
    {
      logLevel: "warn",
      schema: {
        tags: ["probes"],
        summary: "Liveness: the daemon answers",
        response: { 200: z.object({ ok: z.literal(true), status: z.literal("live") }) },
      },
    },
    async () => ({ ok: true as const, status: "live" as const }),
  );

  app.get(
    "/readyz",
    {
      logLevel: "warn",
      schema: {
        tags: ["probes"],
        summary: "Readiness: 200 when every part of the daemon can do its job, 503 otherwise",
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const readiness = await ctx.readiness();
      return reply.status(readiness.ready ? 200 : 503).send(readiness);
    },
  );

  app.get(
    "/metrics",
    {
      logLevel: "warn",
      config: { access: ctx.config.http.publicMetrics ? "public" : "viewer" },
      schema: {
        tags: ["probes"],
        summary:
          "Prometheus metrics (text exposition format): the caller's organisation's bots, and the daemon's own series for the default organisation",
        produces: ["text/plain"],
        response: { 200: z.string() },
      },
    },
    async (request, reply) => {
      const text = await visibleMetrics(ctx, request);
      return reply.type(ctx.metrics.registry.contentType).send(text);
    },
  );
}

/** All of it for the host (the local credential, or `publicMetrics`); one organisation's otherwise. */
async function visibleMetrics(ctx: DaemonContext, request: FastifyRequest): Promise<string> {
  const text = await ctx.metrics.registry.metrics();
  const org = request.principal ? orgScope(request.principal) : undefined;
  if (org === undefined) return text;
  const names = new Set((await ctx.store.listBots({ org })).map((bot) => bot.name));
  return scopeMetrics(text, { sees: (bot) => names.has(bot), daemonWide: org === DEFAULT_ORG });
}
