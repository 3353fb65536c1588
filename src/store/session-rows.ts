import type { Selectable } from "kysely";
import { OpsError } from "../core/errors.js";
import type {
  CostSource,
  MessageRecord,
  MessageRole,
  SessionRecord,
  ToolCall,
  Usage,
} from "../core/session.js";
import type { MessagesTable, SessionsTable } from "./schema.js";

/**
 * Sessions and messages to rows and back, checked on the way in: the ingest
 * feeds these from a gateway's frames, and a bad value stored is a bad value
 * summed into every cost report after it. Conventions as in rows.ts.
 */

const ROLES: ReadonlySet<string> = new Set<MessageRole>(["user", "assistant", "tool", "system"]);
const COST_SOURCES: ReadonlySet<string> = new Set<CostSource>([
  "gateway",
  "config",
  "override",
  "price-db",
  "none",
]);
/** A date and time with a zone: a zone-less time would be read in the daemon's own zone. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** `VALIDATION` naming the field, what it must be and (briefly) what it was. */
export function invalid(path: string, expected: string, value: unknown): OpsError {
  const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : String(value);
  const message = `${path} must be ${expected}, got ${shown}`;
  return new OpsError("VALIDATION", message, {
    issues: [{ path, message, severity: "error" }],
  });
}

/** `toISOString()`'s own form: a time in it that names a real hour and day comes back unchanged. */
const UTC_ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The time as UTC ISO 8601 (`toISOString()`), so that text order is time order. */
export function utcTime(value: unknown, path: string): string {
  const ms = typeof value === "string" && ISO_TIME.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw invalid(path, "an ISO 8601 time with a zone", value);
  // Most times arrive in that form already, and formatting took two thirds of the check
  // (~1 µs a message). Date.parse takes Feb 30 or 24:00 as the next day: those are formatted.
  const text = value as string;
  if (UTC_ISO_TIME.test(text) && realHourAndDay(text)) return text;
  return new Date(ms).toISOString();
}

/** The hour is below 24 and the day exists in its month (`iso` in UTC_ISO_TIME's form). */
function realHourAndDay(iso: string): boolean {
  const year = twoDigits(iso, 0) * 100 + twoDigits(iso, 2);
  const month = twoDigits(iso, 5);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  return twoDigits(iso, 11) < 24 && twoDigits(iso, 8) <= days;
}

function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
}

function utcTimeOrNull(value: unknown, path: string): string | null {
  return value === null ? null : utcTime(value, path);
}

export function id(value: unknown, path: string): string {
  if (typeof value !== "string" || value === "") throw invalid(path, "a non-empty string", value);
  return value;
}

function textOrNull(value: unknown, path: string): string | null {
  if (value !== null && typeof value !== "string") throw invalid(path, "a string or null", value);
  return value;
}

export function count(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw invalid(path, "a whole number >= 0", value);
  }
  return value as number;
}

function usage(value: Usage, path: string): Usage {
  if (typeof value !== "object" || value === null) throw invalid(path, "a usage object", value);
  const { costUsd } = value;
  if (typeof costUsd !== "number" || !Number.isFinite(costUsd) || costUsd < 0) {
    throw invalid(`${path}.costUsd`, "a finite number >= 0", costUsd);
  }
  count(value.input, `${path}.input`);
  count(value.output, `${path}.output`);
  count(value.cacheRead, `${path}.cacheRead`);
  count(value.cacheWrite, `${path}.cacheWrite`);
  return value;
}

function oneOf(set: ReadonlySet<string>, value: unknown, path: string): string {
  if (typeof value !== "string" || !set.has(value)) {
    throw invalid(path, `one of ${[...set].join(", ")}`, value);
  }
  return value;
}

/** The usage columns, named alike in `sessions` and `messages`. */
type UsageColumns = Pick<
  SessionsTable,
  "tokens_input" | "tokens_output" | "tokens_cache_read" | "tokens_cache_write" | "cost_usd"
>;

const NO_USAGE = {
  tokens_input: null,
  tokens_output: null,
  tokens_cache_read: null,
  tokens_cache_write: null,
  cost_usd: null,
};

function usageColumns(u: Usage): UsageColumns {
  return {
    tokens_input: u.input,
    tokens_output: u.output,
    tokens_cache_read: u.cacheRead,
    tokens_cache_write: u.cacheWrite,
    cost_usd: u.costUsd,
  };
}

/** `Number()`: PostgreSQL's bigint and sums may come back as strings. */
export function toUsage(row: UsageColumns): Usage {
  return {
    input: Number(row.tokens_input),
    output: Number(row.tokens_output),
    cacheRead: Number(row.tokens_cache_read),
    cacheWrite: Number(row.tokens_cache_write),
    costUsd: Number(row.cost_usd),
  };
}

export function fromSession(s: SessionRecord, path: string): SessionsTable {
  const u = usage(s.usage, `${path}.usage`);
  const startedAt = utcTimeOrNull(s.startedAt, `${path}.startedAt`);
  const lastActivityAt = utcTimeOrNull(s.lastActivityAt, `${path}.lastActivityAt`);
  const updatedAt = utcTime(s.updatedAt, `${path}.updatedAt`);
  if (typeof s.deletedOnGateway !== "boolean") {
    throw invalid(`${path}.deletedOnGateway`, "a boolean", s.deletedOnGateway);
  }
  return {
    bot_id: id(s.botId, `${path}.botId`),
    session_id: id(s.sessionId, `${path}.sessionId`),
    bot_name: id(s.botName, `${path}.botName`),
    session_key: id(s.sessionKey, `${path}.sessionKey`),
    agent_id: id(s.agentId, `${path}.agentId`),
    channel: textOrNull(s.channel, `${path}.channel`),
    peer: textOrNull(s.peer, `${path}.peer`),
    model_configured: textOrNull(s.modelConfigured, `${path}.modelConfigured`),
    model_used: textOrNull(s.modelUsed, `${path}.modelUsed`),
    status: textOrNull(s.status, `${path}.status`),
    started_at: startedAt,
    last_activity_at: lastActivityAt,
    activity_at: lastActivityAt ?? startedAt ?? updatedAt,
    message_count: count(s.messageCount, `${path}.messageCount`),
    ...usageColumns(u),
    cost_source: oneOf(COST_SOURCES, s.costSource, `${path}.costSource`),
    deleted_on_gateway: s.deletedOnGateway ? 1 : 0,
    updated_at: updatedAt,
  };
}

export function toSession(row: Selectable<SessionsTable>): SessionRecord {
  return {
    botId: row.bot_id,
    botName: row.bot_name,
    sessionId: row.session_id,
    sessionKey: row.session_key,
    agentId: row.agent_id,
    channel: row.channel,
    peer: row.peer,
    modelConfigured: row.model_configured,
    modelUsed: row.model_used,
    status: row.status,
    startedAt: row.started_at,
    lastActivityAt: row.last_activity_at,
    messageCount: Number(row.message_count),
    usage: toUsage(row),
    costSource: row.cost_source as CostSource,
    deletedOnGateway: row.deleted_on_gateway === 1,
    updatedAt: row.updated_at,
  };
}

/** The hot path of the ingest (tens of thousands a second): plain checks, no schema library. */
export function fromMessage(m: MessageRecord, path: string): MessagesTable {
  if (typeof m.text !== "string") throw invalid(`${path}.text`, "a string", m.text);
  if (!Array.isArray(m.toolCalls)) throw invalid(`${path}.toolCalls`, "an array", m.toolCalls);
  if (typeof m.isError !== "boolean") throw invalid(`${path}.isError`, "a boolean", m.isError);
  const u = m.usage === null ? null : usage(m.usage, `${path}.usage`);
  return {
    bot_id: id(m.botId, `${path}.botId`),
    session_id: id(m.sessionId, `${path}.sessionId`),
    seq: count(m.seq, `${path}.seq`),
    role: oneOf(ROLES, m.role, `${path}.role`),
    // PostgreSQL's text cannot hold NUL; the same replacement on SQLite keeps the stores alike.
    text: m.text.includes("\0") ? m.text.replaceAll("\0", "\uFFFD") : m.text,
    text_bytes: count(m.textBytes, `${path}.textBytes`),
    tool_calls: m.toolCalls.length === 0 ? "[]" : JSON.stringify(m.toolCalls),
    tool_call_id: textOrNull(m.toolCallId, `${path}.toolCallId`),
    is_error: m.isError ? 1 : 0,
    ...(u ? usageColumns(u) : NO_USAGE),
    cost_source:
      m.costSource === null ? null : oneOf(COST_SOURCES, m.costSource, `${path}.costSource`),
    stop_reason: textOrNull(m.stopReason, `${path}.stopReason`),
    model: textOrNull(m.model, `${path}.model`),
    latency_ms: m.latencyMs === null ? null : count(m.latencyMs, `${path}.latencyMs`),
    at: utcTime(m.at, `${path}.at`),
  };
}

export function toMessage(row: Selectable<MessagesTable>): MessageRecord {
  return {
    botId: row.bot_id,
    sessionId: row.session_id,
    seq: Number(row.seq),
    role: row.role as MessageRole,
    text: row.text,
    textBytes: Number(row.text_bytes),
    toolCalls: JSON.parse(row.tool_calls) as ToolCall[],
    toolCallId: row.tool_call_id,
    isError: row.is_error === 1,
    usage: row.tokens_input === null ? null : toUsage(row as UsageColumns),
    costSource: row.cost_source as CostSource | null,
    stopReason: row.stop_reason,
    model: row.model,
    latencyMs: row.latency_ms === null ? null : Number(row.latency_ms),
    at: row.at,
  };
}
