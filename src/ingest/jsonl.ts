import {
  type MessageRecord,
  boundText,
  type MessageRole,
  type ToolCall,
  type Usage,
} from "../core/session.js";

/**
 * One line of an OpenClaw <= 2026.7 session transcript (`<sessionId>.jsonl`)
 * turned into what clawops keeps. The line shapes are the ones observed on
 * 2026.7.35 (docs/openclaw-legacy-sessions.md): a `session` header, then
 * `message` entries (user, assistant, toolResult) among `model_change`,
 * `thinking_level_change`, `custom` and `compaction` entries. Parsing never
 * throws: a line it cannot use comes back as `skipped` with the reason, for
 * the caller to count.
 */

/** Where the line sits: the transcript it belongs to and its 0-based line number. */
export interface JsonlLineContext {
  botId: string;
  sessionId: string;
  /** The line's position in the file; becomes the record's `seq` (see jsonl-tailer.ts for why). */
  seq: number;
  /** When neither the line nor its message has a time (the tailer passes the file's mtime). */
  fallbackAt?: string;
}

/** What a non-message line says about its session. */
export interface SessionMetaUpdate {
  /** `session` header, a model switch, or a compaction. */
  type: "session" | "model_change" | "compaction";
  /** When the line was written (the gateway's clock, ISO); null when the line has no timestamp. */
  at: string | null;
  /** From the header: when the transcript began. */
  startedAt?: string;
  /** `provider/model` the session switched to. */
  modelConfigured?: string;
  /** From a compaction: the context's tokens before it was summarised. */
  tokensBefore?: number;
}

export type SkipReason =
  /** Blank line (OpenClaw's repair of a torn last line can leave one). */
  | "empty"
  /** Not JSON: a torn or corrupted line. */
  | "malformed-json"
  /** JSON, but not an object with a string `type`. */
  | "not-an-entry"
  /** An entry type clawops does not keep (thinking level, extension state, labels...). */
  | "ignored-type"
  /** A `message` entry whose `message` is missing or has a role clawops does not keep. */
  | "unusable-message"
  /** Longer than the reader's line limit: counted, never parsed (set by the tailer). */
  | "line-too-large";

export type ParsedLine =
  | {
      kind: "message";
      record: MessageRecord;
      /** The entry's own id (OpenClaw's tree node id), for cross-checks; not unique across rewrites of other lines. */
      entryId: string | null;
    }
  | { kind: "meta"; update: SessionMetaUpdate }
  | { kind: "skipped"; reason: SkipReason; detail: string | null };

/** Entry types that are known and deliberately not kept (no finding beyond the count). */
const IGNORED_TYPES = new Set([
  "thinking_level_change",
  "custom",
  "custom_message",
  "branch_summary",
  "label",
  "session_info",
]);

/** Parses one line (without its newline). Never throws. */
export function parseJsonlLine(line: string, context: JsonlLineContext): ParsedLine {
  if (line.trim() === "") return skipped("empty");
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch (error) {
    return skipped("malformed-json", (error as Error).message);
  }
  if (!isObject(entry) || typeof entry.type !== "string") return skipped("not-an-entry");
  const at = isoFrom(entry.timestamp);
  switch (entry.type) {
    case "session":
      return meta({ type: "session", at, ...(at ? { startedAt: at } : {}) });
    case "model_change": {
      const model = modelName(entry.provider, entry.modelId);
      return meta({ type: "model_change", at, ...(model ? { modelConfigured: model } : {}) });
    }
    case "compaction":
      return meta({
        type: "compaction",
        at,
        ...(typeof entry.tokensBefore === "number" ? { tokensBefore: entry.tokensBefore } : {}),
      });
    case "message":
      return parseMessage(entry, at, context);
    default:
      return IGNORED_TYPES.has(entry.type)
        ? skipped("ignored-type", entry.type)
        : skipped("ignored-type", `unknown:${entry.type.slice(0, 64)}`);
  }
}

const ROLES: Record<string, MessageRole> = {
  user: "user",
  assistant: "assistant",
  toolResult: "tool",
  system: "system",
};

function parseMessage(
  entry: Record<string, unknown>,
  lineAt: string | null,
  context: JsonlLineContext,
): ParsedLine {
  const message = entry.message;
  if (!isObject(message)) return skipped("unusable-message", "no message object");
  const role = typeof message.role === "string" ? ROLES[message.role] : undefined;
  if (!role) return skipped("unusable-message", `role ${String(message.role).slice(0, 64)}`);
  const parts = contentParts(message.content);
  const isError =
    message.isError === true || (role === "assistant" && message.stopReason === "error");
  let text = parts.text;
  // A failed assistant turn may carry no content at all: its error is the text worth keeping.
  if (text === "" && isError && typeof message.errorMessage === "string") {
    text = message.errorMessage;
  }
  const bounded = boundText(text);
  const startedMs = typeof message.timestamp === "number" ? message.timestamp : null;
  // The line's timestamp is when the gateway wrote it; the message's own one when it began.
  const at = lineAt ?? isoFrom(startedMs) ?? context.fallbackAt ?? new Date(0).toISOString();
  const record: MessageRecord = {
    botId: context.botId,
    sessionId: context.sessionId,
    seq: context.seq,
    role,
    text: bounded.text,
    textBytes: bounded.bytes,
    toolCalls: role === "assistant" ? parts.toolCalls : [],
    toolCallId:
      role === "tool" && typeof message.toolCallId === "string" ? message.toolCallId : null,
    isError,
    usage: role === "assistant" ? usageFrom(message.usage) : null,
    costSource: role === "assistant" ? "gateway" : null,
    stopReason: typeof message.stopReason === "string" ? message.stopReason : null,
    model: role === "assistant" ? modelName(message.provider, message.model) : null,
    // An assistant message's own timestamp is when its model call began: the difference
    // to the write is that call's latency. Other roles have no such span.
    latencyMs:
      role === "assistant" && startedMs !== null && lineAt !== null
        ? nonNegative(Date.parse(lineAt) - startedMs)
        : null,
    at,
  };
  return { kind: "message", record, entryId: typeof entry.id === "string" ? entry.id : null };
}

/** Text parts joined by newlines, tool calls collected; images and thinking are not text. */
function contentParts(content: unknown): { text: string; toolCalls: ToolCall[] } {
  if (typeof content === "string") return { text: content, toolCalls: [] };
  if (!Array.isArray(content)) return { text: "", toolCalls: [] };
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const part of content) {
    if (!isObject(part)) continue;
    if (part.type === "text" && typeof part.text === "string") texts.push(part.text);
    if (part.type === "toolCall" && typeof part.name === "string") {
      const args =
        typeof part.arguments === "string" ? part.arguments : JSON.stringify(part.arguments ?? {});
      toolCalls.push({
        id: typeof part.id === "string" ? part.id : null,
        name: part.name,
        arguments: boundText(args).text,
      });
    }
  }
  return { text: texts.join("\n"), toolCalls };
}

/** OpenClaw's usage (`{input, output, cacheRead, cacheWrite, totalTokens, cost:{total}}`). */
function usageFrom(value: unknown): Usage | null {
  if (!isObject(value)) return null;
  const cost = isObject(value.cost) ? value.cost : {};
  return {
    input: count(value.input),
    output: count(value.output),
    cacheRead: count(value.cacheRead),
    cacheWrite: count(value.cacheWrite),
    costUsd: typeof cost.total === "number" && Number.isFinite(cost.total) ? cost.total : 0,
  };
}

function modelName(provider: unknown, model: unknown): string | null {
  if (typeof model !== "string" || model === "") return null;
  return typeof provider === "string" && provider !== "" ? `${provider}/${model}` : model;
}

/** ISO time from an ISO string or epoch milliseconds; null when neither. */
function isoFrom(value: unknown): string | null {
  const ms =
    typeof value === "number" ? value : typeof value === "string" ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}

function nonNegative(ms: number): number | null {
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function meta(update: SessionMetaUpdate): ParsedLine {
  return { kind: "meta", update };
}

function skipped(reason: SkipReason, detail: string | null = null): ParsedLine {
  return { kind: "skipped", reason, detail };
}
