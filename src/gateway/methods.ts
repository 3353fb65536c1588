import { z } from "zod";
import type { GatewayClient } from "./client.js";

/**
 * Typed wrappers for the gateway methods clawops uses, with the answers as
 * observed on openclaw 2026.9.6 (docs/openclaw-2026.9.6.md §4-7). Schemas name
 * only the fields clawops reads and stay loose, so a newer gateway that adds
 * fields keeps working; a missing or mistyped field is a GATEWAY_BAD_RESPONSE
 * naming the method and the field.
 */

const n = z.number();
const s = z.string();

const eventLoopSchema = z.looseObject({
  degraded: z.boolean(),
  delayP99Ms: n.optional(),
  utilization: n.optional(),
});
const processMemorySchema = z.looseObject({
  rssBytes: n,
  heapUsedBytes: n.optional(),
  heapTotalBytes: n.optional(),
});

export const healthSchema = z.looseObject({
  ok: z.boolean(),
  ts: n.optional(),
  durationMs: n.optional(),
  defaultAgentId: s.optional(),
  plugins: z
    .looseObject({ loaded: z.array(s).default([]), errors: z.array(z.unknown()).default([]) })
    .optional(),
  modelRuntime: z.looseObject({ degraded: z.boolean() }).optional(),
  eventLoop: eventLoopSchema.optional(),
});

export const statusSchema = z.looseObject({
  runtimeVersion: s,
  pid: n,
  processMemory: processMemorySchema,
  eventLoop: eventLoopSchema.optional(),
  sessions: z.looseObject({ count: n }).optional(),
  tasks: z.looseObject({ active: n, failures: n }).optional(),
  shutdownBudget: z.looseObject({ timeoutMs: n }).optional(),
});

export const systemInfoSchema = z.looseObject({
  hostname: s,
  platform: s,
  nodeVersion: s,
  pid: n,
  processInstanceId: s.optional(),
  port: n.optional(),
  uptimeMs: n,
  cpuCount: n.optional(),
  memoryTotalBytes: n.optional(),
  processMemory: processMemorySchema.optional(),
  diskAvailableBytes: n.optional(),
});

export const logsTailSchema = z.looseObject({
  file: s,
  /** Byte offset to pass back for the lines after these. */
  cursor: n,
  size: n,
  lines: z.array(s),
  truncated: z.boolean().optional(),
  /** The cursor was past the end (the file rotated): these lines are a fresh tail. */
  reset: z.boolean().optional(),
});

export const configGetSchema = z.looseObject({
  path: s,
  exists: z.boolean(),
  valid: z.boolean(),
  /** Pass back as `baseHash` to `config.patch`. */
  hash: s,
  /** The file's text with secrets replaced by `__OPENCLAW_REDACTED__`. */
  raw: s.nullable().optional(),
  config: z.record(s, z.unknown()).optional(),
  issues: z.array(z.unknown()).default([]),
  warnings: z.array(z.unknown()).default([]),
});

export const configPatchSchema = z.looseObject({
  ok: z.boolean(),
  path: s,
  hash: s,
  changedPaths: z.array(s).default([]),
});

export const configSchemaSchema = z.looseObject({
  schema: z.record(s, z.unknown()),
  version: s.optional(),
});

const sessionRowSchema = z.looseObject({
  key: s,
  sessionId: s.optional(),
  agentId: s.optional(),
  updatedAt: n.nullable().optional(),
  status: s.optional(),
  inputTokens: n.optional(),
  outputTokens: n.optional(),
  totalTokens: n.optional(),
  estimatedCostUsd: n.optional(),
});
export const sessionsListSchema = z.looseObject({
  count: n,
  totalCount: n.optional(),
  hasMore: z.boolean().default(false),
  nextOffset: n.nullable().optional(),
  sessions: z.array(sessionRowSchema),
});

const cacheStatusSchema = z.looseObject({ status: s }).optional();
const usageTotalsSchema = z.looseObject({
  input: n,
  output: n,
  cacheRead: n,
  cacheWrite: n,
  totalTokens: n,
  totalCost: n,
});
export const sessionsUsageSchema = z.looseObject({
  sessions: z.array(
    z.looseObject({ key: s, sessionId: s.optional(), usage: z.unknown().nullable() }),
  ),
  totals: z.unknown(),
  /** `refreshing` right after a turn: totals lag the transcript by up to ~35 s. */
  cacheStatus: cacheStatusSchema,
});

export const usageCostSchema = z.looseObject({
  days: n,
  daily: z.array(usageTotalsSchema.extend({ date: s })),
  totals: usageTotalsSchema,
  cacheStatus: cacheStatusSchema,
});

export const chatSendSchema = z.looseObject({ runId: s, status: s });

export const chatHistorySchema = z.looseObject({
  sessionKey: s.optional(),
  sessionId: s.optional(),
  messages: z.array(z.looseObject({ role: s })),
  /** Pass back as `cursor` for the messages after these. */
  deltaCursor: z.union([s, n]).optional(),
  hasMore: z.boolean().optional(),
});

export const agentWaitSchema = z.looseObject({
  runId: s,
  status: s,
  endedAt: n.optional(),
  stopReason: s.optional(),
  /** With `status: "error"`: why (`"aborted"` after `chat.abort`). */
  error: s.optional(),
  terminalReply: z.looseObject({ text: s.optional() }).optional(),
});

/** `aborted: false, runIds: []` when no run of the session was active. */
export const chatAbortSchema = z.looseObject({
  aborted: z.boolean().optional(),
  runIds: z.array(s).optional(),
});

export const modelsListSchema = z.looseObject({
  models: z.array(
    z.looseObject({ id: s, provider: s, name: s.optional(), available: z.boolean().optional() }),
  ),
});

export const modelsAuthStatusSchema = z.looseObject({
  providers: z.array(
    z.looseObject({
      provider: s,
      status: s,
      profiles: z.array(z.looseObject({ profileId: s.optional(), type: s.optional() })).default([]),
    }),
  ),
});

export const restartRequestSchema = z.looseObject({
  ok: z.boolean(),
  status: s,
  preflight: z
    .looseObject({ safe: z.boolean(), summary: s.optional(), blockers: z.array(z.unknown()) })
    .optional(),
});

type Out<S extends z.ZodType> = Promise<z.output<S>>;
type Client = Pick<GatewayClient, "request">;

/** The typed operations API over one connected client. */
export function gatewayMethods(client: Client) {
  const call = <S extends z.ZodType>(
    method: string,
    params: object,
    schema: S,
    timeoutMs?: number,
  ): Out<S> => client.request(method, params, schema, timeoutMs ? { timeoutMs } : {});
  return {
    health: () => call("health", {}, healthSchema),
    status: () => call("status", {}, statusSchema),
    systemInfo: () => call("system.info", {}, systemInfoSchema),
    logsTail: (params: { cursor?: number; limit?: number; maxBytes?: number } = {}) =>
      call("logs.tail", params, logsTailSchema),
    configGet: () => call("config.get", {}, configGetSchema),
    /** `raw` is a JSON5 merge patch; a stale `baseHash` is refused by the gateway. */
    configPatch: (params: { raw: string; baseHash: string; note?: string }) =>
      call("config.patch", params, configPatchSchema),
    configSchema: () => call("config.schema", {}, configSchemaSchema, 60_000),
    sessionsList: (params: { limit?: number; offset?: number } = {}) =>
      call("sessions.list", params, sessionsListSchema),
    sessionsUsage: (params: { key?: string } = {}) =>
      call("sessions.usage", params, sessionsUsageSchema, 60_000),
    /** Starts a turn; its progress arrives as `chat` events. The run id is `idempotencyKey`. */
    chatSend: (params: { sessionKey: string; message: string; idempotencyKey: string }) =>
      call("chat.send", params, chatSendSchema),
    chatHistory: (params: { sessionKey: string; cursor?: string | number; limit?: number }) =>
      call("chat.history", params, chatHistorySchema),
    /** Aborts the session's run (`runId`: only that one); its `chat` frame says `aborted`. */
    chatAbort: (params: { sessionKey: string; runId?: string }) =>
      call("chat.abort", params, chatAbortSchema, 10_000),
    /** `timeout` both for a run still going and for a run the gateway does not know. */
    agentWait: (params: { runId: string; timeoutMs: number }) =>
      call("agent.wait", params, agentWaitSchema, params.timeoutMs + 5_000),
    modelsList: () => call("models.list", {}, modelsListSchema),
    modelsAuthStatus: () => call("models.authStatus", {}, modelsAuthStatusSchema),
    usageCost: (params: { days?: number } = {}) =>
      call("usage.cost", params, usageCostSchema, 60_000),
    /** An untargeted request is the safe form: the gateway waits for work in flight. */
    restartRequest: (params: { reason: string }) =>
      call("gateway.restart.request", params, restartRequestSchema),
  };
}
export type GatewayMethods = ReturnType<typeof gatewayMethods>;
