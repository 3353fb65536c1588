import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import { scopedBot } from "../org-scope.js";
import { doctorReportSchema } from "../records/operations.js";
import { type Api, botParams, queryBoolean, withErrors } from "../schema.js";

const doctorQuery = z.strictObject({
  fast: queryBoolean.meta({ description: "only the quick rules, those of the pre-start gate" }),
});

/**
 * The doctor over REST, for registered bots only (no file paths from the
 * network). `?fast=true` runs the quick rules, those of the pre-start gate.
 * Read-only: fixes are applied by the CLI, where the operator sees the diff.
 */
export function doctorRoutes(app: Api, ctx: DaemonContext) {
  app.get(
    "/api/v1/bots/:name/doctor",
    {
      config: { onOwnerHost: true },
      schema: {
        tags: ["doctor"],
        summary: "Check a bot's config and state (read-only)",
        params: botParams,
        querystring: doctorQuery,
        response: withErrors({ 200: z.object({ report: doctorReportSchema }) }),
      },
    },
    async (request) => {
      const { fast } = request.query;
      const bot = await scopedBot(ctx, request, request.params.name);
      const speed = fast ? ("fast" as const) : ("all" as const);
      return {
        report: await ctx.doctor.check(
          { configFile: bot.configPath, stateDir: bot.stateDir, bot },
          { speed },
        ),
      };
    },
  );
}
