import { z } from "zod";
import { AUTONOMY_LEVELS, RULE_DECISIONS, autonomyOf } from "../../approvals/policy.js";
import { HUMAN_DECISIONS } from "../../approvals/service.js";
import type { Bot } from "../../core/bot.js";
import { errorMessage } from "../../core/errors.js";
import type { DaemonContext } from "../../daemon/context.js";
import { forwarded } from "../../hosts/fleet-hosts.js";
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
  const listAnswer = z.object({
    approvals: z.array(pendingSchema),
    autonomy: z.record(z.string(), z.enum(AUTONOMY_LEVELS)),
    unanswered: z
      .array(z.object({ host: z.string(), reason: z.string() }))
      .meta({ description: "hosts whose execs are missing from the list: why" }),
  });
  app.get(
    "/api/v1/approvals",
    {
      schema: {
        tags: ["approvals"],
        summary:
          "Execs waiting for a decision on the caller's bots, oldest first, and each bot's autonomy",
        description:
          "With several hosts, each host's daemon lists its own gateways' execs: this one asks the others (docs/hosts.md) and names those that did not answer.",
        response: withErrors({ 200: listAnswer }),
      },
    },
    async (request) => {
      const scope = scopeOf(request);
      const bots = await ctx.store.listBots(scope === undefined ? {} : { org: scope });
      const elsewhere = new Map<string, Bot[]>();
      const here: Bot[] = [];
      for (const bot of bots) {
        if (!ctx.hosts.ownedElsewhere(bot)) here.push(bot);
        else if (!forwarded(request))
          elsewhere.set(bot.host!, [...(elsewhere.get(bot.host!) ?? []), bot]);
      }
      const unanswered: z.infer<typeof listAnswer>["unanswered"] = [];
      const lists = await Promise.all([
        ctx.approvals.pending(here),
        ...[...elsewhere.keys()].map(async (host) => {
          try {
            const relayed = await ctx.hosts.ask(host, "/api/v1/approvals", request);
            if (relayed.status !== 200) throw new Error(`it answered ${relayed.status}`);
            const theirs = new Set(elsewhere.get(host)!.map((bot) => bot.name));
            const listed = (relayed.body as z.infer<typeof listAnswer>).approvals;
            return listed.filter((approval) => theirs.has(approval.bot));
          } catch (error) {
            unanswered.push({ host, reason: errorMessage(error) });
            return [];
          }
        }),
      ]);
      return {
        approvals: lists.flat().sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
        autonomy: Object.fromEntries(
          bots.map((b) => [b.name, autonomyOf(ctx.config.approvals, b.name)]),
        ),
        unanswered,
      };
    },
  );

  app.post(
    "/api/v1/bots/:name/approvals/:id",
    {
      config: { onOwnerHost: true },
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
