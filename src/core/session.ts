/**
 * Conversations as clawops keeps them: a copy of every gateway's sessions and
 * transcripts, kept after the gateway forgets them (a deleted or reset
 * session stays, flagged). OpenClaw names a conversation by its session key
 * (`agent:main:main`, stable across resets) and each transcript by its
 * session id (new on every reset); clawops keeps one session row per
 * (bot, session id) and its messages by their transcript seq.
 */

/** Tokens of one message or summed over a session; cost in US dollars. */
export interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  costUsd: number;
}

/**
 * Where a cost figure came from, best first: the gateway's own figure, the
 * gateway config's model price, an operator's price in clawops.yaml, the
 * price database; `none` when no source knew the model.
 */
export type CostSource = "gateway" | "config" | "override" | "price-db" | "none";

export const EMPTY_USAGE: Usage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, costUsd: 0 };

export interface SessionRecord {
  botId: string;
  /** The bot's name when the session was saved: its history stays readable after the bot is removed. */
  botName: string;
  /** The transcript's id on the gateway (OpenClaw's `sessionId`). */
  sessionId: string;
  /** The conversation's key (`agent:<agent>:<rest>`), shared by its transcripts across resets. */
  sessionKey: string;
  agentId: string;
  /** The channel it came through (`telegram`, `webchat`, ...); null when direct. */
  channel: string | null;
  /** Who the other side is on that channel, as the gateway names it. */
  peer: string | null;
  /** `provider/model` the session is configured with. */
  modelConfigured: string | null;
  /** `provider/model` that answered last. */
  modelUsed: string | null;
  /** The gateway's status of the session (`done`, `running`, ...). */
  status: string | null;
  startedAt: string | null;
  lastActivityAt: string | null;
  messageCount: number;
  usage: Usage;
  costSource: CostSource;
  /** Gone from the gateway (deleted or reset there); clawops keeps its history. */
  deletedOnGateway: boolean;
  updatedAt: string;
}

export type MessageRole = "user" | "assistant" | "tool" | "system";

export interface ToolCall {
  id: string | null;
  name: string;
  /** The arguments as JSON text, bounded like message text. */
  arguments: string;
}

export interface MessageRecord {
  botId: string;
  sessionId: string;
  /** Its position in the transcript (OpenClaw's `__openclaw.seq`): with the two above, its identity. */
  seq: number;
  role: MessageRole;
  /** The text, or its first `MESSAGE_TEXT_LIMIT` characters when it is longer. */
  text: string;
  /** The whole text's size in UTF-8 bytes (larger than `text` when cut). */
  textBytes: number;
  toolCalls: ToolCall[];
  /** For a tool result: the call it answers. */
  toolCallId: string | null;
  /** A tool result that reported an error, or a failed assistant turn. */
  isError: boolean;
  usage: Usage | null;
  /** Where `usage.costUsd` came from; null without usage. */
  costSource: CostSource | null;
  stopReason: string | null;
  /** `provider/model` that produced it (assistant messages). */
  model: string | null;
  /** From the turn's start to this message, when known. */
  latencyMs: number | null;
  /** When the gateway says it was written (its clock). */
  at: string;
}

/** Characters of a message's text that are kept; the rest is counted, not stored. */
export const MESSAGE_TEXT_LIMIT = 64 * 1024;

/**
 * The first MESSAGE_TEXT_LIMIT characters, never ending inside a surrogate
 * pair, and the whole text's UTF-8 size (what was there, not what was kept).
 */
export function boundText(text: string): { text: string; bytes: number } {
  const bytes = Buffer.byteLength(text, "utf8");
  if (text.length <= MESSAGE_TEXT_LIMIT) return { text, bytes };
  let cut = MESSAGE_TEXT_LIMIT;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return { text: text.slice(0, cut), bytes };
}
