import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import { actorOf } from "../client.js";
import { scopeOf, scopedBot, seesDaemonWide } from "../org-scope.js";
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
        description:
          "The budgets of the principal's organisation's bots; owner budgets (which can cover any organisation's bots) only for the default organisation's principals.",
        response: withErrors({ 200: z.object({ budgets: z.array(budgetStatusSchema) }) }),
      },
    },
    async (request) => {
      const budgets = await ctx.budgets.status();
      const org = scopeOf(request);
      if (org === undefined) return { budgets };
      const mine = new Set((await ctx.store.listBots({ org })).map((bot) => bot.name));
      const daemonWide = seesDaemonWide(request);
      return {
        budgets: budgets.filter((b) => (b.scope === "bot" ? mine.has(b.name) : daemonWide)),
      };
    },
  );

  app.post(
    "/api/v1/bots/:name/budget/resume",
    {
      schema: {
        tags: ["budgets"],
        summary: "Lift a bot's budget pause for the rest of the period",
        description:
          "Lifts the bot's own pause and its owner's; another organisation than the default one lifts the bot's own only (an owner's budget can cover other organisations' bots).",
        params: botParams,
        response: withErrors(
          { 200: z.object({ resumed: z.boolean(), lifted: z.array(budgetStateSchema) }) },
          403,
        ),
      },
    },
    async (request) => {
      const bot = await scopedBot(ctx, request, request.params.name);
      const lifted = await ctx.budgets.resume(bot.name, actorOf(request), {
        onlyBot: !seesDaemonWide(request),
      });
      return { resumed: lifted.length > 0, lifted };
    },
  );
}
