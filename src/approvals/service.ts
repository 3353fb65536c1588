import type { Logger } from "pino";
import { z } from "zod";
import type { Bot } from "../core/bot.js";
import { OpsError, errorMessage } from "../core/errors.js";
import type { Notification } from "../core/notification.js";
import type { EventBus } from "../events/bus.js";
import type { EventFrame } from "../gateway/frames.js";
import {
  type ApprovalsConfig,
  type PolicyVerdict,
  autonomyOf,
  looksChained,
  resolvePolicy,
} from "./policy.js";

/** The capability that makes clawops's connection a bot's approval route (OpenClaw 2026.9). */
export const EXEC_APPROVALS_CAP = "exec-approvals";

/** What a human may answer; `allow-always` is the gateway's to offer, and clawops does not. */
export const HUMAN_DECISIONS = ["allow-once", "deny"] as const;
export type HumanDecision = (typeof HUMAN_DECISIONS)[number];

/** An exec waiting for a decision on a bot's gateway. */
export interface PendingApproval {
  bot: string;
  id: string;
  command: string;
  host: string;
  cwd: string | null;
  sessionKey: string | null;
  createdAt: string;
  expiresAt: string;
  /** What clawops's policy makes of it (`ask`: a human decides). */
  policy: PolicyVerdict;
}

const requestSchema = z.looseObject({
  command: z.string(),
  host: z.string().default("gateway"),
  cwd: z.string().nullish(),
  sessionKey: z.string().nullish(),
  commandAnalysis: z
    .looseObject({ commandCount: z.number().optional(), nestedCommandCount: z.number().optional() })
    .nullish(),
});
const requestedSchema = z.looseObject({
  id: z.string(),
  request: requestSchema,
  createdAtMs: z.number().optional(),
  expiresAtMs: z.number(),
});
const resolvedSchema = z.looseObject({
  id: z.string(),
  decision: z.string(),
  resolvedBy: z.string().nullish(),
  request: requestSchema.partial().nullish(),
});
const listSchema = z.array(requestedSchema);
const okSchema = z.unknown();

export interface ApprovalDeps {
  config: ApprovalsConfig;
  bus: EventBus;
  log: Logger;
  /** A call on the bot's followed gateway connection (the ingest's, which carries the route). */
  gateway: {
    request<S extends z.ZodType>(
      botId: string,
      method: string,
      params: unknown,
      schema: S,
    ): Promise<z.output<S>>;
  };
  /** Tells the operators (a human must decide, or the policy decided on the loop). */
  notify(notification: Notification): void;
  now?: () => number;
}

/**
 * OpenClaw's exec approvals, routed to clawops for the bots whose autonomy is
 * not `autonomous` (docs/approvals.md): each request is judged by the policy
 * (`approval.requested`), decided at once when a rule or the autonomy says
 * allow or deny, else left to a human (dashboard, API, CLI, Telegram); every
 * decision is an `approval.resolved` event, the audit trail of approvals.
 */
export class ApprovalService {
  /** Ids clawops decided itself: the gateway's echo of them is not a second event. */
  private readonly decidedHere = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly deps: ApprovalDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** What the bot's followed connection advertises (the ingest reads it when it opens). */
  capsFor(bot: Bot): readonly string[] {
    return autonomyOf(this.deps.config, bot.name) === "autonomous" ? [] : [EXEC_APPROVALS_CAP];
  }

  /** Every event frame of a followed gateway; never throws. */
  onGatewayEvent(bot: Bot, frame: EventFrame): void {
    if (frame.event === "exec.approval.requested") void this.requested(bot, frame.payload);
    else if (frame.event === "exec.approval.resolved") this.resolved(bot, frame.payload);
  }

  /**
   * The execs waiting on the gateways of `bots` (those that route approvals
   * to clawops), asked live; a gateway that does not answer is left out.
   */
  async pending(bots: readonly Bot[]): Promise<PendingApproval[]> {
    const routed = bots.filter((bot) => this.capsFor(bot).length > 0);
    const lists = await Promise.all(
      routed.map(async (bot) => {
        try {
          const listed = await this.deps.gateway.request(
            bot.id,
            "exec.approval.list",
            {},
            listSchema,
          );
          return listed.map((entry) => this.describe(bot, entry));
        } catch (error) {
          this.deps.log.debug({ bot: bot.name, err: errorMessage(error) }, "approvals.list_failed");
          return [];
        }
      }),
    );
    return lists.flat().sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /**
   * A human's decision on one pending exec of `bot` (by its id, or an
   * unambiguous prefix of 8 or more characters, as Telegram's buttons carry).
   * Throws NOT_FOUND when no such exec waits.
   */
  async decide(
    bot: Bot,
    idOrPrefix: string,
    decision: HumanDecision,
    actor: string,
  ): Promise<PendingApproval> {
    const waiting = (await this.pending([bot])).filter(
      (p) => p.id === idOrPrefix || (idOrPrefix.length >= 8 && p.id.startsWith(idOrPrefix)),
    );
    if (waiting.length !== 1)
      throw new OpsError(
        "NOT_FOUND",
        `no exec waits for approval on ${bot.name} with id ${idOrPrefix}${waiting.length > 1 ? " (ambiguous: give the whole id)" : ""}: it may have been decided or have expired`,
        { details: { bot: bot.name, id: idOrPrefix } },
      );
    const approval = waiting[0]!;
    await this.resolve(bot, approval, decision, actor);
    return approval;
  }

  private describe(bot: Bot, entry: z.output<typeof requestedSchema>): PendingApproval {
    const { request } = entry;
    const analysis = request.commandAnalysis;
    const chained =
      looksChained(request.command) ||
      (analysis?.commandCount ?? 1) > 1 ||
      (analysis?.nestedCommandCount ?? 0) > 0;
    return {
      bot: bot.name,
      id: entry.id,
      command: request.command,
      host: request.host,
      cwd: request.cwd ?? null,
      sessionKey: request.sessionKey ?? null,
      createdAt: new Date(entry.createdAtMs ?? this.now()).toISOString(),
      expiresAt: new Date(entry.expiresAtMs).toISOString(),
      policy: resolvePolicy(this.deps.config, bot.name, {
        command: request.command,
        host: request.host,
        chained,
      }),
    };
  }

  private async requested(bot: Bot, payload: unknown): Promise<void> {
    const parsed = requestedSchema.safeParse(payload);
    if (!parsed.success) {
      this.deps.log.warn({ bot: bot.name }, "approvals.unreadable_request");
      return;
    }
    const approval = this.describe(bot, parsed.data);
    const { bot: _name, createdAt: _created, ...data } = approval;
    this.deps.bus.publish({ type: "approval.requested", botId: bot.id, actor: "gateway", data });
    const { decision } = approval.policy;
    if (decision === "ask") return this.deps.notify(askNotice(approval));
    try {
      await this.resolve(
        bot,
        approval,
        decision === "allow" ? "allow-once" : "deny",
        `policy ${approval.policy.by}`,
      );
      if (decision === "allow") this.deps.notify(allowedNotice(approval));
    } catch (error) {
      // Unanswered, the gateway denies it when it expires; a human may still decide.
      this.deps.log.warn(
        { bot: bot.name, id: approval.id, err: errorMessage(error) },
        "approvals.policy_resolve_failed",
      );
      this.deps.notify(askNotice(approval));
    }
  }

  private async resolve(
    bot: Bot,
    approval: PendingApproval,
    decision: HumanDecision,
    actor: string,
  ): Promise<void> {
    this.decidedHere.add(approval.id);
    try {
      await this.deps.gateway.request(
        bot.id,
        "exec.approval.resolve",
        { id: approval.id, decision },
        okSchema,
      );
    } catch (error) {
      this.decidedHere.delete(approval.id);
      throw error;
    }
    this.deps.bus.publish({
      type: "approval.resolved",
      botId: bot.id,
      actor,
      data: { id: approval.id, command: approval.command, decision, by: actor },
    });
    this.deps.log.info({ bot: bot.name, id: approval.id, decision, actor }, "approvals.resolved");
  }

  /** Decided elsewhere (expired, another approval client): recorded once. */
  private resolved(bot: Bot, payload: unknown): void {
    const parsed = resolvedSchema.safeParse(payload);
    if (!parsed.success || this.decidedHere.delete(parsed.data.id)) return;
    const by = `gateway:${parsed.data.resolvedBy ?? "unknown"}`;
    this.deps.bus.publish({
      type: "approval.resolved",
      botId: bot.id,
      actor: by,
      data: {
        id: parsed.data.id,
        command: parsed.data.request?.command ?? "",
        decision: parsed.data.decision,
        by,
      },
    });
  }
}

function askNotice(approval: PendingApproval): Notification {
  return {
    kind: "warning",
    bot: approval.bot,
    title: `${approval.bot} asks to run a command`,
    lines: [
      `host: ${approval.host}${approval.cwd ? ` · cwd: ${approval.cwd}` : ""}`,
      `${approval.policy.reason} (${approval.policy.by})`,
      `expires at ${approval.expiresAt}`,
    ],
    detail: approval.command,
    approval: { id: approval.id },
    dedupeKey: `approval:${approval.id}`,
    ts: approval.createdAt,
  };
}

function allowedNotice(approval: PendingApproval): Notification {
  return {
    kind: "info",
    bot: approval.bot,
    title: `${approval.bot} ran a command allowed by ${approval.policy.by}`,
    lines: [`host: ${approval.host}`, approval.policy.reason],
    detail: approval.command,
    dedupeKey: `approval:${approval.id}`,
    ts: approval.createdAt,
  };
}
