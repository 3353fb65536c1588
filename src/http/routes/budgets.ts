import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import { actorOf } from "../client.js";
import { budgetStateSchema, budgetStatusSchema } from "../records/operations.js";
import { type Api, botParams, withErrors } from "../schema.js";

/** Spending budgets over REST: every budget's spend and state, and lifting a bot's budget pause. */
export function budgetRoutes(app: Api, ctx: DaemonContext) {
  app.get(
    "/api/v1/budgets",
    {
      schema: {
        tags: ["budgets"],
        summary: "Every budget's spend and state",
        response: withErrors({ 200: z.object({ budgets: z.array(budgetStatusSchema) }) }),
      },
    },
    async () => ({ budgets: await ctx.budgets.status() }),
  );

  app.post(
    "/api/v1/bots/:name/budget/resume",
    {
      schema: {
        tags: ["budgets"],
        summary: "Lift a bot's budget pause for the rest of the period",
        params: botParams,
        response: withErrors(
          { 200: z.object({ resumed: z.boolean(), lifted: z.array(budgetStateSchema) }) },
          403,
        ),
      },
    },
    async (request) => {
      const lifted = await ctx.budgets.resume(request.params.name, actorOf(request));
      return { resumed: lifted.length > 0, lifted };
    },
  );
}
