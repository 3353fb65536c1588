import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import { requireBot } from "../../fleet/registry.js";
import { parseQuery, queryBoolean } from "../query.js";

const doctorQuery = z.strictObject({ fast: queryBoolean });

/**
 * The doctor over REST, for registered bots only (no file paths from the
 * network). `?fast=true` runs the quick rules, those of the pre-start gate.
 * Read-only: fixes are applied by the CLI, where the operator sees the diff.
 */
export function doctorRoutes(app: FastifyInstance, ctx: DaemonContext) {
  app.get<{ Params: { name: string } }>("/api/v1/bots/:name/doctor", async (request) => {
    const { fast } = parseQuery(doctorQuery, request.query);
    const bot = await requireBot(ctx.store, request.params.name);
    const speed = fast ? ("fast" as const) : ("all" as const);
    return {
      report: await ctx.doctor.check(
        { configFile: bot.configPath, stateDir: bot.stateDir, bot },
        { speed },
      ),
    };
  });
}
