import { z } from "zod";
import { errorMessage } from "../core/errors.js";
import type { TaskOutcome } from "../core/task.js";
import { abortableSleep } from "../core/time.js";
import type { GatewayClient } from "../gateway/client.js";
import { gatewayMethods } from "../gateway/methods.js";

/**
 * One attempt of a task on its gateway: `chat.send` into the attempt's own
 * session, then its end from whichever comes first: the run's `chat`
 * final/error/aborted frame, or `agent.wait` (asked in slices, so that a run
 * whose frames were missed, across a reconnect or a daemon restart, is still
 * seen to end). At the deadline the run is aborted (`chat.abort`) and timed
 * out. `agent.wait` on 2026.9.6 answers `timeout` for a run it does not know
 * as for one still running (docs/openclaw-2026.9.6.md §13): only the
 * deadline ends a run nobody reports.
 */

export type AttemptClient = Pick<GatewayClient, "request" | "onEvent">;

export interface AttemptRequest {
  client: AttemptClient;
  sessionKey: string;
  /** The `chat.send` idempotency key, which the gateway makes the run id. */
  runId: string;
  message: string;
  /** Epoch ms at which the run is aborted and timed out. */
  deadline: number;
  /** Already sent (a daemon restarted while it ran): follow it only. */
  resume: boolean;
  /**
   * Aborted with reason `"cancel"`: the run is aborted on the gateway and
   * cancelled. Any other reason (the daemon stopping): the attempt is left
   * running on the gateway and `null` returned, to be resumed.
   */
  signal: AbortSignal;
  /** Longest single `agent.wait`, default 15 s. */
  waitSliceMs?: number;
}

export interface AttemptResult {
  outcome: TaskOutcome;
  error: string | null;
}

export const CANCEL = "cancel";

const chatEventSchema = z.looseObject({
  runId: z.string(),
  state: z.string(),
  errorMessage: z.string().optional(),
});

/** Runs (or resumes) one attempt; null when the daemon stopped before it ended. */
export async function runAttempt(request: AttemptRequest): Promise<AttemptResult | null> {
  const { client, runId, sessionKey, signal } = request;
  const methods = gatewayMethods(client);
  let settled = false;
  let resolveEnd!: (result: AttemptResult | null) => void;
  const ended = new Promise<AttemptResult | null>((resolve) => {
    resolveEnd = resolve;
  });
  const end = (result: AttemptResult | null) => {
    if (settled) return;
    settled = true;
    resolveEnd(result);
  };
  /** Who aborted the run, when clawops did: the gateway's `aborted` frame says only that it was. */
  let abortedBy: "deadline" | "cancel" | null = null;
  const abortedResult = (): AttemptResult => {
    if (abortedBy === "deadline")
      return {
        outcome: "timed_out",
        error: `no end within the time limit; the run was aborted (session ${sessionKey})`,
      };
    if (abortedBy === "cancel") return { outcome: "cancelled", error: null };
    return { outcome: "failed", error: "the run was aborted on the gateway" };
  };
  const abortRun = async (why: "deadline" | "cancel") => {
    if (settled || abortedBy) return;
    abortedBy = why;
    try {
      await methods.chatAbort({ sessionKey, runId });
    } catch {
      // A gateway that cannot be reached cannot run it either; the outcome stands.
    }
    end(abortedResult());
  };

  const unsubscribe = client.onEvent((frame) => {
    if (frame.event !== "chat") return;
    const parsed = chatEventSchema.safeParse(frame.payload);
    if (!parsed.success || parsed.data.runId !== runId) return;
    const { state } = parsed.data;
    if (state === "final") end({ outcome: "succeeded", error: null });
    else if (state === "error")
      end({ outcome: "failed", error: parsed.data.errorMessage ?? "the turn failed" });
    else if (state === "aborted" && !abortedBy) end(abortedResult());
  });
  const timer = setTimeout(
    () => void abortRun("deadline"),
    Math.max(0, request.deadline - Date.now()),
  );
  const onAbort = () => {
    if (signal.reason === CANCEL) void abortRun("cancel");
    else end(null);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  // Polls in slices; stops once the attempt ended (a slice in flight returns at its own end).
  const stopPolling = new AbortController();
  const poll = async () => {
    while (!settled) {
      const left = request.deadline - Date.now();
      if (left <= 0) return;
      try {
        const answer = await methods.agentWait({
          runId,
          timeoutMs: Math.min(left, request.waitSliceMs ?? 15_000),
        });
        if (answer.status === "ok") end({ outcome: "succeeded", error: null });
        else if (answer.status === "error" && !abortedBy) {
          if (answer.error === "aborted") end(abortedResult());
          else end({ outcome: "failed", error: answer.error ?? "the run failed" });
        }
      } catch {
        // A dropped connection: the client reconnects; ask again shortly.
        await abortableSleep(1_000, stopPolling.signal).catch(() => undefined);
      }
    }
  };

  try {
    if (signal.aborted) onAbort();
    if (!request.resume && !settled) {
      try {
        await methods.chatSend({ sessionKey, message: request.message, idempotencyKey: runId });
      } catch (error) {
        end({ outcome: "failed", error: `chat.send failed: ${errorMessage(error)}` });
      }
    }
    // Never rejects; a slice still in flight ends with the run or when the caller closes the client.
    void poll();
    return await ended;
  } finally {
    clearTimeout(timer);
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
    stopPolling.abort();
  }
}
