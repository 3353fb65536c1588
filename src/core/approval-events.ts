import { z } from "zod";
import { botEventSpec, isoTime } from "./event-spec.js";

/**
 * The exec approval entries of the event catalogue (src/approvals/,
 * docs/approvals.md); events.ts spreads them in. `approval.resolved` is the
 * audit trail of every decision, whoever made it.
 */
export const APPROVAL_EVENTS = {
  "approval.requested": botEventSpec({
    version: 1,
    summary:
      "A bot's gateway asks whether an exec may run (an OpenClaw exec approval, routed to clawops by the bot's autonomy level; docs/approvals.md).",
    scope: "bot",
    data: z.strictObject({
      id: z.string().describe("the gateway's approval id"),
      command: z.string().describe("the command as the gateway shows it"),
      host: z.string().describe("where it would run: `gateway` or `node`"),
      cwd: z.string().nullable().describe("its working directory"),
      sessionKey: z.string().nullable().describe("the session whose agent asks"),
      expiresAt: isoTime.describe("when the gateway denies it unanswered"),
      policy: z
        .strictObject({
          decision: z.enum(["allow", "deny", "ask"]),
          by: z.string().describe("`rule N` (1-based) or `autonomy <level>`"),
          reason: z.string(),
        })
        .describe("what clawops's policy makes of it: `ask` leaves it to a human"),
    }),
  }),
  "approval.resolved": botEventSpec({
    version: 1,
    summary:
      "An exec approval was decided: by clawops's policy, by a human (dashboard, API, CLI, Telegram), or by the gateway (expired, elsewhere). The event's actor says who.",
    scope: "bot",
    data: z.strictObject({
      id: z.string().describe("the gateway's approval id"),
      command: z.string().describe("the command as the gateway showed it"),
      decision: z.string().describe("`allow-once`, `allow-always` or `deny`"),
      by: z.string().describe("who decided: `policy rule N`, a principal, or `gateway:<who>`"),
    }),
  }),
} as const;
