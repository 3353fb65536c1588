import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import { readinessSchema } from "../records/fleet.js";
import type { Api } from "../schema.js";

/** Liveness, readiness and metrics: unauthenticated and cheap. */
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
      schema: {
        tags: ["probes"],
        summary: "Prometheus metrics (text exposition format)",
        produces: ["text/plain"],
        response: { 200: z.string() },
      },
    },
    async (_request, reply) => {
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    },
  );
}
