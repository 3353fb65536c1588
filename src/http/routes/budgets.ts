import type { FastifyInstance } from "fastify";
import type { DaemonContext } from "../../daemon/context.js";
import { actorOf } from "../client.js";

/** Spending budgets over REST: every budget's spend and state, and lifting a bot's budget pause. */
export function budgetRoutes(app: FastifyInstance, ctx: DaemonContext) {
  app.get("/api/v1/budgets", async () => ({ budgets: await ctx.budgets.status() }));

  app.post<{ Params: { name: string } }>("/api/v1/bots/:name/budget/resume", async (request) => {
    const lifted = await ctx.budgets.resume(request.params.name, actorOf(request));
    return { resumed: lifted.length > 0, lifted };
  });
}
