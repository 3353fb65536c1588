import type WebSocket from "ws";
import { z } from "zod";

/**
 * Protocol v4 frames as observed on openclaw 2026.9.6 (docs/openclaw-2026.9.6.md).
 * Objects are loose: a newer gateway may add fields, and clawops must not break on that.
 */
export const errorShapeSchema = z.looseObject({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  retryable: z.boolean().optional(),
  retryAfterMs: z.number().optional(),
});
export type GatewayErrorShape = z.infer<typeof errorShapeSchema>;

export const frameSchema = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("res"),
    id: z.string(),
    ok: z.boolean(),
    payload: z.unknown().optional(),
    error: errorShapeSchema.optional(),
  }),
  z.looseObject({
    type: z.literal("event"),
    event: z.string(),
    payload: z.unknown().optional(),
    seq: z.number().optional(),
  }),
  z.looseObject({ type: z.literal("req"), id: z.string(), method: z.string() }),
]);
export type Frame = z.infer<typeof frameSchema>;
export type EventFrame = Extract<Frame, { type: "event" }>;
export type ResponseFrame = Extract<Frame, { type: "res" }>;

/** A WebSocket message as a protocol frame; null when it is not JSON or not a frame. */
export function parseFrame(data: WebSocket.RawData): Frame | null {
  try {
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString()
      : Buffer.from(data as ArrayBuffer).toString();
    const parsed = frameSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export const challengeSchema = z.looseObject({ nonce: z.string(), ts: z.number() });

export const helloOkSchema = z.looseObject({
  type: z.literal("hello-ok"),
  protocol: z.number(),
  server: z.looseObject({
    version: z.string(),
    buildId: z.string().optional(),
    /** 2026.9.6 sends it; 2026.7.35 does not (its `server` is `{version, connId}`). */
    bootId: z.string().optional(),
    connId: z.string().optional(),
  }),
  features: z
    .looseObject({
      methods: z.array(z.string()).default([]),
      events: z.array(z.string()).default([]),
    })
    .default({ methods: [], events: [] }),
  snapshot: z
    .looseObject({
      uptimeMs: z.number().optional(),
      configPath: z.string().optional(),
      stateDir: z.string().optional(),
      authMode: z.string().optional(),
    })
    .default({}),
  auth: z
    .looseObject({
      role: z.string().optional(),
      /** token, device-token, password, ... */
      method: z.string().optional(),
      scopes: z.array(z.string()).default([]),
      deviceToken: z.string().optional(),
    })
    .default({ scopes: [] }),
  policy: z
    .looseObject({
      maxPayload: z.number().default(26_214_400),
      tickIntervalMs: z.number().optional(),
    })
    .default({ maxPayload: 26_214_400 }),
});
export type HelloOk = z.infer<typeof helloOkSchema>;

export const shutdownSchema = z.looseObject({
  reason: z.string().optional(),
  restartExpectedMs: z.number().optional(),
});
