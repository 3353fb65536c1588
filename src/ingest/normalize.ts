import { z } from "zod";
import {
  boundText,
  type MessageRecord,
  type MessageRole,
  type SessionRecord,
  type ToolCall,
  type Usage,
} from "../core/session.js";

/**
 * A gateway's transcript message (`chat.history`'s `messages[]`, the
 * `message` of a `session.message` event) as clawops keeps it. Observed on
 * openclaw 2026.9.6 (docs/openclaw-2026.9.6.md, "Sessions as clawops reads
 * them"): roles `user`, `assistant`, `toolResult`, `system`; content a string
 * or blocks (`text`, `toolCall`, `thinking`, images); the transcript position
 * in `__openclaw.seq`. Loose: a newer gateway's extra fields are ignored.
 */

const n = z.number();
const blockSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  arguments: z.unknown().optional(),
});
const usageSchema = z.looseObject({
  input: n.default(0),
  output: n.default(0),
  cacheRead: n.default(0),
  cacheWrite: n.default(0),
  cost: z.looseObject({ total: n.optional() }).optional(),
});
export const gatewayMessageSchema = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(blockSchema)]).optional(),
  provider: z.string().optional(),
  model: z.string().optional(),
  usage: usageSchema.optional(),
  stopReason: z.string().optional(),
  errorMessage: z.string().optional(),
  toolCallId: z.string().optional(),
  isError: z.boolean().optional(),
  timestamp: n.optional(),
  __openclaw: z.looseObject({
    seq: z.number().int().positive(),
    recordTimestampMs: n.optional(),
  }),
});
export type GatewayMessage = z.infer<typeof gatewayMessageSchema>;

const ROLES: Record<string, MessageRole> = {
  user: "user",
  assistant: "assistant",
  toolResult: "tool",
  system: "system",
};

/**
 * `cut`: the gateway cut the text to its display limit (it ends in
 * TRUNCATION_MARK): 8,000 characters in live events and history deltas,
 * `maxChars` in a full history read.
 */
export type Normalized =
  { ok: true; message: MessageRecord; cut: boolean } | { ok: false; why: string };

/** What OpenClaw 2026.9.6 appends to a text it cut for display. */
export const TRUNCATION_MARK = "\n...(truncated)...";

/**
 * Maps one gateway message to a record of `botId`'s session `sessionId`, or
 * says why it was skipped (never throws: a malformed message is counted and
 * logged by the caller, the rest of the batch goes on).
 */
export function normalizeMessage(raw: unknown, botId: string, sessionId: string): Normalized {
  const parsed = gatewayMessageSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, why: `${issue?.path.join(".") || "message"}: ${issue?.message}` };
  }
  const m = parsed.data;
  const role = ROLES[m.role];
  if (!role) return { ok: false, why: `unknown role "${m.role}"` };
  const blocks = typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content;
  const full = (blocks ?? [])
    .flatMap((b) => (b.type === "text" && b.text !== undefined ? [b.text] : []))
    .join("\n");
  const cut = full.endsWith(TRUNCATION_MARK);
  const kept = boundText(
    cut ? full.slice(0, -TRUNCATION_MARK.length) : full || (m.errorMessage ?? ""),
  );
  // `timestamp` is when the message began (an answer: when its model call started);
  // `recordTimestampMs` when the gateway wrote it. Their difference is the call's latency.
  const started = m.timestamp;
  const written = m.__openclaw.recordTimestampMs ?? started;
  return {
    ok: true,
    message: {
      botId,
      sessionId,
      seq: m.__openclaw.seq,
      role,
      text: kept.text,
      textBytes: kept.bytes,
      toolCalls: (blocks ?? []).flatMap((b) => (b.type === "toolCall" ? [toolCall(b)] : [])),
      toolCallId: m.toolCallId ?? null,
      isError: m.isError === true || m.stopReason === "error",
      usage: m.usage ? usage(m.usage) : null,
      costSource: m.usage ? "gateway" : null,
      stopReason: m.stopReason ?? null,
      model: m.provider && m.model ? `${m.provider}/${m.model}` : (m.model ?? null),
      latencyMs:
        role === "assistant" && started !== undefined && written !== undefined
          ? Math.max(0, written - started)
          : null,
      at: new Date(written ?? Date.now()).toISOString(),
    },
    cut,
  };
}

function toolCall(block: z.infer<typeof blockSchema>): ToolCall {
  const args =
    typeof block.arguments === "string" ? block.arguments : JSON.stringify(block.arguments ?? {});
  return { id: block.id ?? null, name: block.name ?? "unknown", arguments: boundText(args).text };
}

function usage(u: z.infer<typeof usageSchema>): Usage {
  return {
    input: u.input,
    output: u.output,
    cacheRead: u.cacheRead,
    cacheWrite: u.cacheWrite,
    costUsd: u.cost?.total ?? 0,
  };
}

/** What the gateway says about a session; the totals are clawops's own sums of its messages. */
export type SessionMeta = Pick<
  SessionRecord,
  | "botId"
  | "sessionId"
  | "sessionKey"
  | "agentId"
  | "channel"
  | "peer"
  | "modelConfigured"
  | "modelUsed"
  | "status"
  | "startedAt"
  | "lastActivityAt"
>;

const optionalText = z.string().nullish();
const optionalTime = z.number().nullish();
/** A `sessions.list` row, or the session fields of a `session.message` event. */
export const gatewaySessionSchema = z.looseObject({
  key: optionalText,
  sessionKey: optionalText,
  sessionId: z.string(),
  agentId: optionalText,
  channel: optionalText,
  lastChannel: optionalText,
  modelProvider: optionalText,
  model: optionalText,
  activeModelProvider: optionalText,
  activeModel: optionalText,
  status: optionalText,
  createdAt: optionalTime,
  startedAt: optionalTime,
  updatedAt: optionalTime,
  lastInteractionAt: optionalTime,
});

/** Channels whose sessions carry the peer in the key (`agent:main:telegram:direct:12345`). */
const KEY_CHANNELS = new Set([
  "telegram",
  "discord",
  "slack",
  "whatsapp",
  "signal",
  "imessage",
  "matrix",
  "msteams",
  "googlechat",
  "line",
  "feishu",
  "mattermost",
]);

/** The session's metadata, or null when it names no session id (skipped, with why). */
export function normalizeSession(
  raw: unknown,
  botId: string,
): { ok: true; session: SessionMeta } | { ok: false; why: string } {
  const parsed = gatewaySessionSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, why: `${issue?.path.join(".") || "session"}: ${issue?.message}` };
  }
  const s = parsed.data;
  const sessionKey = s.key ?? s.sessionKey;
  if (!sessionKey) return { ok: false, why: "key: missing" };
  const parts = sessionKey.split(":");
  const keyChannel = parts[0] === "agent" && KEY_CHANNELS.has(parts[2] ?? "") ? parts[2]! : null;
  const peer = keyChannel
    ? parts
        .slice(3)
        .filter((p) => p !== "direct")
        .join(":") || null
    : null;
  const model = (provider?: string | null, id?: string | null) =>
    id ? (provider ? `${provider}/${id}` : id) : null;
  const time = (ms?: number | null) => (ms ? new Date(ms).toISOString() : null);
  return {
    ok: true,
    session: {
      botId,
      sessionId: s.sessionId,
      sessionKey,
      agentId: s.agentId ?? (parts[0] === "agent" ? (parts[1] ?? "main") : "main"),
      channel: s.channel ?? s.lastChannel ?? keyChannel,
      peer,
      modelConfigured: model(s.modelProvider, s.model),
      modelUsed: model(s.activeModelProvider, s.activeModel),
      status: s.status ?? null,
      startedAt: time(s.createdAt ?? s.startedAt),
      lastActivityAt: time(s.updatedAt ?? s.lastInteractionAt),
    },
  };
}
