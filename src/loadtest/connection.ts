import { randomUUID } from "node:crypto";
import type WebSocket from "ws";
import { OpsError } from "../core/errors.js";
import type { ConnectAuth } from "../gateway/auth.js";
import { handshake } from "../gateway/handshake.js";

/**
 * One virtual user's protocol v4 connection: the gateway's own handshake
 * (challenge, connect, hello-ok: gateway/handshake.ts), then `chat.send` and
 * the turn's `chat` events. Lean on purpose: a load run holds thousands, and
 * a gateway sends every operator connection every turn's events, so a frame
 * is JSON-parsed once and matched by id, never schema-checked.
 */

/** Why a connect or a turn failed, as the report counts them. */
export type LoadErrorKind =
  | "connect-refused"
  | "connect-timeout"
  | "auth-rejected"
  | "handshake-failed"
  | "send-rejected"
  | "turn-error"
  | "reply-timeout"
  | "connection-lost";

export class LoadError extends Error {
  constructor(
    readonly kind: LoadErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface TurnTiming {
  /** chat.send to its answer. */
  ackMs: number;
  /** chat.send to the turn's first streamed text; null when none streamed. */
  firstTokenMs: number | null;
  /** chat.send to the final frame. */
  replyMs: number;
  replyBytes: number;
}

interface PendingRequest {
  resolve: (payload: unknown) => void;
  reject: (error: LoadError) => void;
}

interface Run {
  sessionKey: string;
  sentAt: number;
  firstTokenAt: number | null;
  streamedBytes: number;
  resolve: (timing: { firstTokenAt: number | null; endedAt: number; replyBytes: number }) => void;
  reject: (error: LoadError) => void;
  timer: NodeJS.Timeout;
}

export class LoadConnection {
  private readonly requests = new Map<string, PendingRequest>();
  private readonly runs = new Map<string, Run>();
  private nextId = 0;
  private closed = false;

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => this.receive(data));
    ws.on("close", (code: number) => this.lost(`the gateway closed the connection (${code})`));
    ws.on("error", (error: Error) => this.lost(error.message));
  }

  /** Connects and authenticates; rejects with a LoadError that says which step failed. */
  static async open(
    auth: ConnectAuth,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<LoadConnection> {
    let connection: LoadConnection | undefined;
    try {
      await handshake({
        auth,
        timeoutMs,
        closing: signal,
        attach: (ws) => {
          connection = new LoadConnection(ws);
        },
      });
    } catch (error) {
      throw connectFailure(error);
    }
    return connection!;
  }

  /**
   * One chat turn: `chat.send` into `sessionKey`, then its `chat` events to the
   * final frame. Rejects with `send-rejected` (the gateway refused the send),
   * `turn-error` (the turn ended in error or aborted: e.g. a provider without a
   * key), `reply-timeout` or `connection-lost`.
   */
  async turn(sessionKey: string, message: string, timeoutMs: number): Promise<TurnTiming> {
    const runId = randomUUID();
    const sentAt = performance.now();
    // Watched before the send: the first events can come before its answer.
    const ended = new Promise<{ firstTokenAt: number | null; endedAt: number; replyBytes: number }>(
      (resolve, reject) => {
        const timer = setTimeout(() => {
          this.runs.delete(runId);
          // The gateway would go on with it (and spend on it): stop it there too.
          this.request("chat.abort", { sessionKey, runId }).catch(() => undefined);
          reject(new LoadError("reply-timeout", `no final reply within ${timeoutMs}ms`));
        }, timeoutMs);
        this.runs.set(runId, {
          sessionKey,
          sentAt,
          firstTokenAt: null,
          streamedBytes: 0,
          resolve,
          reject,
          timer,
        });
      },
    );
    ended.catch(() => undefined);
    try {
      await this.request("chat.send", { sessionKey, message, idempotencyKey: runId });
    } catch (error) {
      this.settleRun(runId);
      throw error;
    }
    const ackMs = performance.now() - sentAt;
    const { firstTokenAt, endedAt, replyBytes } = await ended;
    return {
      ackMs,
      firstTokenMs: firstTokenAt === null ? null : firstTokenAt - sentAt,
      replyMs: endedAt - sentAt,
      replyBytes,
    };
  }

  /**
   * Ends the connection at the end of a run: the turns still going are
   * aborted on the gateway first (`chat.abort`; a closed socket alone leaves
   * them running, spending tokens), waiting at most `waitMs` for the answers.
   */
  async abandon(waitMs = 1_000): Promise<void> {
    const aborts = [...this.runs.entries()].map(([runId, run]) =>
      this.request("chat.abort", { sessionKey: run.sessionKey, runId }),
    );
    if (aborts.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(aborts),
        new Promise((resolve) => (timer = setTimeout(resolve, waitMs))),
      ]);
      clearTimeout(timer);
    }
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.lost("closed by the load run");
    this.ws.terminate();
  }

  private request(method: string, params: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new LoadError("connection-lost", "connection closed"));
    const id = String(++this.nextId);
    return new Promise((resolve, reject) => {
      this.requests.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  private receive(data: Buffer): void {
    const text = data.toString();
    // A gateway sends every operator connection every turn's `agent` events, ticks and health
    // as well: only answers and `chat` events matter here, so the rest is not even parsed.
    if (!text.startsWith('{"type":"res"') && !text.includes('"event":"chat"')) return;
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (frame.type === "res") return this.answer(frame);
    if (frame.type === "event" && frame.event === "chat") this.chatEvent(frame.payload);
  }

  private answer(frame: Record<string, unknown>): void {
    const pending = this.requests.get(frame.id as string);
    if (!pending) return;
    this.requests.delete(frame.id as string);
    if (frame.ok === true) return pending.resolve(frame.payload);
    const error = (frame.error ?? {}) as { code?: string; message?: string };
    pending.reject(
      new LoadError("send-rejected", `${error.code ?? "ERROR"}: ${error.message ?? "refused"}`),
    );
  }

  private chatEvent(payload: unknown): void {
    const event = payload as {
      runId?: string;
      state?: string;
      deltaText?: string;
      errorMessage?: string;
    };
    const run = event?.runId === undefined ? undefined : this.runs.get(event.runId);
    if (!run) return;
    const now = performance.now();
    if (event.state === "delta") {
      if (event.deltaText) {
        run.firstTokenAt ??= now;
        run.streamedBytes += Buffer.byteLength(event.deltaText);
      }
      return;
    }
    if (event.state === "final") {
      this.settleRun(event.runId!);
      run.resolve({ firstTokenAt: run.firstTokenAt, endedAt: now, replyBytes: run.streamedBytes });
    } else if (event.state === "error" || event.state === "aborted") {
      this.settleRun(event.runId!);
      run.reject(new LoadError("turn-error", event.errorMessage ?? `the turn was ${event.state}`));
    }
  }

  private settleRun(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    clearTimeout(run.timer);
    this.runs.delete(runId);
  }

  private lost(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const error = new LoadError("connection-lost", reason);
    for (const pending of this.requests.values()) pending.reject(error);
    this.requests.clear();
    for (const [runId, run] of this.runs) {
      this.settleRun(runId);
      run.reject(error);
    }
  }
}

function connectFailure(error: unknown): LoadError {
  if (!(error instanceof OpsError)) return new LoadError("handshake-failed", String(error));
  switch (error.code) {
    case "TIMEOUT":
      return new LoadError("connect-timeout", error.message);
    case "UNAVAILABLE":
      return new LoadError("connect-refused", error.message);
    case "GATEWAY_AUTH_REJECTED":
    case "GATEWAY_PAIRING_REQUIRED":
      return new LoadError("auth-rejected", error.message);
    default:
      return new LoadError("handshake-failed", error.message);
  }
}
