import { z } from "zod";

const COST_SOURCES = ["gateway", "config", "override", "price-db", "none"] as const;

/** Tokens and US dollars (src/core/session.ts `Usage`). */
export const usageSchema = z
  .object({
    input: z.number(),
    output: z.number(),
    cacheRead: z.number(),
    cacheWrite: z.number(),
    costUsd: z.number(),
  })
  .meta({ id: "Usage" });

/** One conversation's transcript as clawops keeps it (src/core/session.ts `SessionRecord`). */
export const sessionSchema = z
  .object({
    botId: z.string(),
    botName: z.string(),
    sessionId: z.string(),
    sessionKey: z.string(),
    agentId: z.string(),
    channel: z.string().nullable(),
    peer: z.string().nullable(),
    modelConfigured: z.string().nullable(),
    modelUsed: z.string().nullable(),
    status: z.string().nullable(),
    startedAt: z.string().nullable(),
    lastActivityAt: z.string().nullable(),
    messageCount: z.number().int(),
    usage: usageSchema,
    costSource: z.enum(COST_SOURCES),
    deletedOnGateway: z.boolean(),
    updatedAt: z.string(),
  })
  .meta({ id: "Session" });

/** One message of a transcript (src/core/session.ts `MessageRecord`). */
export const messageSchema = z
  .object({
    botId: z.string(),
    sessionId: z.string(),
    seq: z.number().int(),
    role: z.enum(["user", "assistant", "tool", "system"]),
    text: z.string().meta({ description: "the first 64 KiB characters when longer" }),
    textBytes: z.number().int(),
    toolCalls: z.array(
      z.object({ id: z.string().nullable(), name: z.string(), arguments: z.string() }),
    ),
    toolCallId: z.string().nullable(),
    isError: z.boolean(),
    usage: usageSchema.nullable(),
    costSource: z.enum(COST_SOURCES).nullable(),
    stopReason: z.string().nullable(),
    model: z.string().nullable(),
    latencyMs: z.number().nullable(),
    at: z.string(),
  })
  .meta({ id: "Message" });

/** `GET /api/v1/sessions`: a page, newest activity first. */
export const sessionPageSchema = z.object({
  sessions: z.array(sessionSchema),
  nextCursor: z
    .string()
    .nullable()
    .meta({ description: "the next page's cursor; null at the end" }),
});

/** `GET /api/v1/bots/:name/sessions/:id/messages`. */
export const messagePageSchema = z.object({
  messages: z.array(messageSchema),
  nextAfter: z
    .number()
    .int()
    .nullable()
    .meta({ description: "the next page's `after`; null at the end" }),
});

/** `GET /api/v1/cost`: usage summed by group (src/store/session-store.ts `CostRow`). */
export const costSchema = z.object({
  by: z.enum(["bot", "model", "owner", "day"]),
  rows: z.array(
    z.object({
      key: z.string().nullable(),
      label: z.string().nullable(),
      messages: z.number().int(),
      ...usageSchema.shape,
    }),
  ),
});

/** `GET /api/v1/cost/findings` (src/ingest/reconcile.ts `CostFinding`). */
export const costFindingsSchema = z.object({
  findings: z.array(
    z.object({
      kind: z.enum(["cost_unknown", "model_mismatch", "spend_spike"]),
      bot: z.string(),
      message: z.string(),
      evidence: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
    }),
  ),
});
