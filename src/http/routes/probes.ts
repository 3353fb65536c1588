import type { FastifyInstance } from "fastify";
import type { DaemonContext } from "../../daemon/context.js";

/** Liveness, readiness and metrics: unauthenticated and cheap. */
export function probeRoutes(app: FastifyInstance, ctx: DaemonContext) {
  app.get("/healthz", { logLevel: "warn" }, async () => ({ ok: true, status: "live" }));

  app.get("/readyz", { logLevel: "warn" }, async (_request, reply) => {
    const readiness = await ctx.readiness();
    return reply.status(readiness.ready ? 200 : 503).send(readiness);
  });

  app.get("/metrics", { logLevel: "warn" }, async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}
