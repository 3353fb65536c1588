import { randomUUID } from "node:crypto";
import { z } from "zod";
import { OpsError } from "../core/errors.js";
import type { GatewayClient } from "./client.js";
import { gatewayMethods } from "./methods.js";

/**
 * One chat turn through a gateway, as a user's message would go: `chat.send`
 * into a session, then the turn's `chat` events until its `final`, `error`
 * or `aborted` frame (docs/openclaw-2026.9.6.md, "Event sequence of one turn").
 */

export interface ChatTurnRequest {
  /** `agent:main:<name>`; a session of its own keeps other conversations out of the context. */
  sessionKey: string;
  message: string;
  /** Budget from send to the final frame. */
  timeoutMs: number;
  /** Each piece of reply text as it streams. */
  onDelta?: (text: string) => void;
}

export interface ChatTurnResult {
  runId: string;
  sessionKey: string;
  outcome: "final" | "error" | "aborted";
  /** The assistant's reply text (empty when the turn failed). */
  reply: string;
  /** The gateway's words for a failed turn ("No API key found for provider ..."). */
  error: string | null;
  /** Send to the first streamed text; null when none streamed. */
  firstTextMs: number | null;
  durationMs: number;
  /** The turn's cost in US dollars when its final frame carried usage with a cost (2026.9.6's does not); else null. */
  costUsd: number | null;
}

const contentSchema = z.union([
  z.string(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
]);
const chatEventSchema = z.looseObject({
  runId: z.string(),
  state: z.string(),
  deltaText: z.string().optional(),
  message: z.looseObject({ content: contentSchema.optional() }).optional(),
  errorMessage: z.string().optional(),
  usage: z
    .looseObject({ cost: z.looseObject({ total: z.number().optional() }).optional() })
    .optional(),
});

export async function chatTurn(
  client: GatewayClient,
  request: ChatTurnRequest,
): Promise<ChatTurnResult> {
  const runId = randomUUID();
  const started = performance.now();
  let firstTextMs: number | null = null;
  let streamed = "";
  let stop: () => void = () => undefined;
  // Listening starts before the send: the first frames can arrive before its answer.
  const ended = new Promise<ChatTurnResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new OpsError(
          "TIMEOUT",
          `no reply within ${request.timeoutMs}ms (session ${request.sessionKey}, run ${runId})`,
          { retryable: true },
        ),
      );
    }, request.timeoutMs);
    const unsubscribe = client.onEvent((frame) => {
      if (frame.event !== "chat") return;
      const parsed = chatEventSchema.safeParse(frame.payload);
      if (!parsed.success || parsed.data.runId !== runId) return;
      const event = parsed.data;
      if (event.state === "delta" && event.deltaText) {
        firstTextMs ??= Math.round(performance.now() - started);
        streamed += event.deltaText;
        request.onDelta?.(event.deltaText);
        return;
      }
      if (event.state !== "final" && event.state !== "error" && event.state !== "aborted") return;
      stop();
      resolve({
        runId,
        sessionKey: request.sessionKey,
        outcome: event.state,
        reply: event.state === "final" ? (textOf(event.message?.content) ?? streamed) : "",
        error: event.state === "error" ? (event.errorMessage ?? "the turn failed") : null,
        firstTextMs,
        durationMs: Math.round(performance.now() - started),
        costUsd: event.usage?.cost?.total ?? null,
      });
    });
    stop = () => {
      clearTimeout(timer);
      unsubscribe();
    };
  });
  // A timeout during the send is reported by the return below, not as an unhandled rejection.
  ended.catch(() => undefined);
  try {
    await gatewayMethods(client).chatSend({
      sessionKey: request.sessionKey,
      message: request.message,
      idempotencyKey: runId,
    });
  } catch (error) {
    stop();
    throw error;
  }
  return ended.finally(stop);
}

function textOf(content: z.output<typeof contentSchema> | undefined): string | null {
  if (content === undefined) return null;
  if (typeof content === "string") return content;
  return content
    .filter((part) => part.type === "text" && part.text)
    .map((part) => part.text)
    .join("");
}
