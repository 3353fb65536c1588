import { z } from "zod";
import { AUTONOMY_LEVELS, RULE_DECISIONS, autonomyOf } from "../../approvals/policy.js";
import { HUMAN_DECISIONS } from "../../approvals/service.js";
import type { DaemonContext } from "../../daemon/context.js";
import { actorOf } from "../client.js";
import { scopeOf, scopedBot } from "../org-scope.js";
import { type Api, botParams, withErrors } from "../schema.js";

const pendingSchema = z
  .object({
    bot: z.string(),
    id: z.string().meta({ description: "the gateway's approval id" }),
    command: z.string().meta({ description: "the command as the gateway shows it" }),
    host: z.string(),
    cwd: z.string().nullable(),
    sessionKey: z.string().nullable(),
    createdAt: z.string(),
    expiresAt: z.string().meta({ description: "when the gateway denies it unanswered" }),
    policy: z.object({
      decision: z.enum(RULE_DECISIONS),
      by: z.string(),
      reason: z.string(),
    }),
  })
  .meta({ id: "PendingApproval" });

/**
 * OpenClaw's exec approvals routed to clawops (docs/approvals.md): what
 * waits, each bot's autonomy, and a human's decision. A decision is a
 * state-changing call, so the audit trail records it with who made it.
 */
export function approvalRoutes(app: Api, ctx: DaemonContext) {
  app.get(
    "/api/v1/approvals",
    {
      schema: {
        tags: ["approvals"],
        summary:
          "Execs waiting for a decision on the caller's bots, oldest first, and each bot's autonomy",
        response: withErrors({
          200: z.object({
            approvals: z.array(pendingSchema),
            autonomy: z.record(z.string(), z.enum(AUTONOMY_LEVELS)),
          }),
        }),
      },
    },
    async (request) => {
      const scope = scopeOf(request);
      const bots = await ctx.store.listBots(scope === undefined ? {} : { org: scope });
      return {
        approvals: await ctx.approvals.pending(bots),
        autonomy: Object.fromEntries(
          bots.map((b) => [b.name, autonomyOf(ctx.config.approvals, b.name)]),
        ),
      };
    },
  );

  app.post(
    "/api/v1/bots/:name/approvals/:id",
    {
      schema: {
        tags: ["approvals"],
        summary: "Allow once or deny an exec the bot's gateway waits on",
        params: botParams.extend({ id: z.string().min(1).max(100) }),
        body: z.strictObject({ decision: z.enum(HUMAN_DECISIONS) }),
        response: withErrors(
          { 200: z.object({ approval: pendingSchema, decision: z.enum(HUMAN_DECISIONS) }) },
          403,
        ),
      },
    },
    async (request) => {
      const bot = await scopedBot(ctx, request, request.params.name);
      const { decision } = request.body;
      const approval = await ctx.approvals.decide(
        bot,
        request.params.id,
        decision,
        actorOf(request),
      );
      return { approval, decision };
    },
  );
}
