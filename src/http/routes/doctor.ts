import type { FastifyInstance } from "fastify";
import type { DaemonContext } from "../../daemon/context.js";
import { requireBot } from "../../fleet/registry.js";

/**
 * The doctor over REST, for registered bots only (no file paths from the
 * network). `?fast=true` runs the quick rules, those of the pre-start gate.
 * Read-only: fixes are applied by the CLI, where the operator sees the diff.
 */
export function doctorRoutes(app: FastifyInstance, ctx: DaemonContext) {
  app.get<{ Params: { name: string }; Querystring: { fast?: string } }>(
    "/api/v1/bots/:name/doctor",
    async (request) => {
      const bot = await requireBot(ctx.store, request.params.name);
      const speed = request.query.fast === "true" ? ("fast" as const) : ("all" as const);
      return {
        report: await ctx.doctor.check(
          { configFile: bot.configPath, stateDir: bot.stateDir, bot },
          { speed },
        ),
      };
    },
  );
}
