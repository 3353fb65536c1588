import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import type { z } from "zod";
import { OpsError, errorMessage } from "../core/errors.js";
import { abortableSleep } from "../core/time.js";
import { parseAnswer } from "./answer.js";
import { type AuthMode, type ConnectAuth, requestError } from "./auth.js";
import { SUPPORTED_PROTOCOLS } from "./compat.js";
import type { DeviceKeyring } from "./device-identity.js";
import {
  type EventFrame,
  type HelloOk,
  type ResponseFrame,
  parseFrame,
  shutdownSchema,
} from "./frames.js";
import { handshake } from "./handshake.js";

export interface GatewayClientOptions {
  /** `ws://127.0.0.1:18789/` */
  url: string;
  /** The gateway's shared token (`gateway.auth.token`); optional only with a stored device token. */
  token?: string;
  /** `auto` (default): backend client on loopback, device identity elsewhere. */
  auth?: AuthMode;
  /** clawops's device identity and the device tokens gateways issued; needed off loopback. */
  keyring?: DeviceKeyring;
  /** Handshake budget per attempt (challenge + hello), default 10 s. */
  connectTimeoutMs?: number;
  /** Default per-call budget, default 30 s. */
  requestTimeoutMs?: number;
  /** Keep retrying a gateway that is booting (UNAVAILABLE / 1013 / refused) for this long; default 0. */
  bootWaitMs?: number;
  /** Drop a connection that receives nothing for this long; default twice the gateway's tick interval (60 s). */
  silenceTimeoutMs?: number;
  /** Reconnect after the gateway restarts or the connection drops; default true. */
  reconnect?: boolean;
  /**
   * Capabilities to advertise. `exec-approvals` makes this connection an
   * approval route: the gateway holds an exec that needs approval and waits
   * for `exec.approval.resolve` instead of denying it at once (docs/approvals.md).
   */
  caps?: readonly string[];
  /** Protocol range to offer (the gateway picks one inside it); defaults to the one clawops speaks. */
  minProtocol?: number;
  maxProtocol?: number;
}

export type ClientStatus = "connected" | "reconnecting" | "closed";

interface Pending {
  method: string;
  expectFinal: boolean;
  resolve: (frame: ResponseFrame) => void;
  reject: (error: OpsError) => void;
  timer: NodeJS.Timeout;
}

/**
 * A protocol v4 operator connection to one gateway, as a loopback backend
 * client with the shared token. Requests are correlated by id with per-call
 * timeouts; a gateway restart fails calls in flight with a retryable error
 * and the client reconnects by itself.
 */
export class GatewayClient {
  private ws: WebSocket | null = null;
  private helloOk: HelloOk | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly eventListeners = new Set<(event: EventFrame) => void>();
  private readonly statusListeners = new Set<(status: ClientStatus) => void>();
  /** Aborted by `close()`: stops reconnecting and any wait between attempts. */
  private readonly closing = new AbortController();
  private restartExpected = false;
  private lastInboundAt = 0;
  private watchdog: NodeJS.Timeout | null = null;
  private silenceMs: number | null = null;
  /** Frames that were not valid JSON protocol frames, ignored (a gateway bug or not OpenClaw). */
  malformedFrames = 0;

  private constructor(private readonly options: GatewayClientOptions) {}

  /** Connects and completes the handshake, or throws an `OpsError` that says why. */
  static async connect(options: GatewayClientOptions): Promise<GatewayClient> {
    const client = new GatewayClient(options);
    await client.open(options.bootWaitMs ?? 0);
    return client;
  }

  /** The server's hello of the current connection. */
  get hello(): HelloOk {
    if (!this.helloOk) throw new OpsError("GATEWAY_CLOSED", "not connected", { retryable: true });
    return this.helloOk;
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN && this.helloOk !== null;
  }

  onEvent(listener: (event: EventFrame) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onStatus(listener: (status: ClientStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /**
   * Calls a method and validates its payload with `schema`. With `expectFinal`
   * (the `agent` method) the first `accepted` answer is skipped and the final one returned.
   */
  async request<S extends z.ZodType>(
    method: string,
    params: unknown,
    schema: S,
    options: { timeoutMs?: number; expectFinal?: boolean } = {},
  ): Promise<z.output<S>> {
    const frame = await this.send(method, params, options);
    return parseAnswer(schema, frame.payload, method, "<payload>", { method });
  }

  /** Closes for good (no reconnect); calls in flight fail. */
  close(): void {
    this.closing.abort();
    if (this.watchdog) clearInterval(this.watchdog);
    this.failPending(new OpsError("GATEWAY_CLOSED", "client closed"));
    this.ws?.close(1000);
    this.emitStatus("closed");
  }

  private send(
    method: string,
    params: unknown,
    options: { timeoutMs?: number; expectFinal?: boolean },
  ) {
    const ws = this.ws;
    if (!ws || !this.connected) {
      return Promise.reject(
        new OpsError(
          "GATEWAY_CLOSED",
          `cannot call ${method}: not connected to ${this.options.url}`,
          { retryable: true },
        ),
      );
    }
    const id = randomUUID();
    const text = JSON.stringify({ type: "req", id, method, params });
    const maxPayload = this.hello.policy.maxPayload;
    const size = Buffer.byteLength(text);
    if (size > maxPayload) {
      return Promise.reject(
        new OpsError(
          "PAYLOAD_TOO_LARGE",
          `${method} request is ${size} bytes; the gateway accepts at most ${maxPayload}`,
          {
            details: { method, size, maxPayload },
          },
        ),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000;
    return new Promise<ResponseFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new OpsError("TIMEOUT", `${method} got no answer within ${timeoutMs}ms`, {
            retryable: true,
          }),
        );
      }, timeoutMs);
      this.pending.set(id, {
        method,
        expectFinal: options.expectFinal ?? false,
        resolve,
        reject,
        timer,
      });
      ws.send(text);
    });
  }

  private async open(bootWaitMs: number): Promise<void> {
    const deadline = Date.now() + bootWaitMs;
    for (let attempt = 0; ; attempt += 1) {
      if (this.closing.signal.aborted) throw new OpsError("GATEWAY_CLOSED", "client closed");
      try {
        await handshake({
          auth: this.connectAuth(),
          timeoutMs: this.options.connectTimeoutMs ?? 10_000,
          closing: this.closing.signal,
          attach: (ws, hello) => this.attach(ws, hello),
        });
        this.emitStatus("connected");
        return;
      } catch (error) {
        const ops =
          error instanceof OpsError
            ? error
            : new OpsError("UNAVAILABLE", errorMessage(error), { retryable: true });
        const waitMs = Math.min(
          (ops.details.retryAfterMs as number | undefined) ?? jitteredBackoff(attempt),
          5_000,
        );
        if (!ops.retryable || this.closing.signal.aborted || Date.now() + waitMs > deadline) {
          throw ops;
        }
        await abortableSleep(waitMs, this.closing.signal);
      }
    }
  }

  private connectAuth(): ConnectAuth {
    const { url, token, auth, keyring, minProtocol, maxProtocol, caps } = this.options;
    return {
      url,
      token,
      mode: auth ?? "auto",
      keyring,
      caps,
      protocols: {
        min: minProtocol ?? SUPPORTED_PROTOCOLS.min,
        max: maxProtocol ?? SUPPORTED_PROTOCOLS.max,
      },
    };
  }

  private attach(ws: WebSocket, hello: HelloOk) {
    const deviceToken = hello.auth.deviceToken;
    if (deviceToken && this.options.keyring) {
      this.options.keyring.saveDeviceToken(this.options.url, deviceToken, hello.auth.scopes);
    }
    this.ws = ws;
    this.helloOk = hello;
    this.restartExpected = false;
    this.watchSilence(ws, hello.policy.tickIntervalMs ?? 30_000);
    ws.on("message", (data: WebSocket.RawData) => this.dispatch(data));
    ws.on("error", () => undefined);
    ws.on("close", (code, reason) => this.onClose(code, reason.toString()));
  }

  /**
   * The gateway sends a `tick` every `tickIntervalMs`; silence for twice that
   * means it hangs (SIGSTOP, a blocked event loop) while the socket looks open.
   * The connection is then dropped, calls in flight fail and reconnecting starts.
   */
  private watchSilence(ws: WebSocket, tickIntervalMs: number) {
    this.lastInboundAt = Date.now();
    this.silenceMs = null;
    const limitMs = this.options.silenceTimeoutMs ?? tickIntervalMs * 2;
    this.watchdog = setInterval(
      () => {
        const silentMs = Date.now() - this.lastInboundAt;
        if (silentMs <= limitMs) return;
        this.silenceMs = silentMs;
        ws.terminate();
      },
      Math.max(50, Math.min(limitMs / 4, 5_000)),
    );
    this.watchdog.unref();
  }

  private dispatch(data: WebSocket.RawData) {
    this.lastInboundAt = Date.now();
    const frame = parseFrame(data);
    if (!frame) {
      this.malformedFrames += 1;
      return;
    }
    if (frame.type === "res") {
      const call = this.pending.get(frame.id);
      if (!call) return;
      if (call.expectFinal && frame.ok && isAccepted(frame.payload)) return;
      this.pending.delete(frame.id);
      clearTimeout(call.timer);
      if (frame.ok) call.resolve(frame);
      else call.reject(requestError(call.method, frame.error));
      return;
    }
    if (frame.type === "event") {
      if (frame.event === "shutdown")
        this.restartExpected = shutdownSchema.safeParse(frame.payload).success;
      for (const listener of this.eventListeners) listener(frame);
    }
  }

  private onClose(code: number, reason: string) {
    this.helloOk = null;
    this.ws = null;
    if (this.watchdog) clearInterval(this.watchdog);
    const restarting = code === 1012 || this.restartExpected;
    this.failPending(
      new OpsError(
        "GATEWAY_CLOSED",
        restarting
          ? "gateway is restarting; retry the call"
          : this.silenceMs !== null
            ? `gateway silent for ${this.silenceMs}ms (hung?); connection dropped`
            : `connection closed (${code}${reason ? ` ${reason}` : ""})`,
        { retryable: true, details: { closeCode: code } },
      ),
    );
    if (this.closing.signal.aborted) return;
    if (this.options.reconnect === false) return this.emitStatus("closed");
    this.emitStatus("reconnecting");
    void this.open(24 * 3_600_000).catch(() => {
      if (!this.closing.signal.aborted) this.emitStatus("closed");
    });
  }

  private failPending(error: OpsError) {
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      this.pending.delete(id);
      call.reject(error);
    }
  }

  private emitStatus(status: ClientStatus) {
    for (const listener of this.statusListeners) listener(status);
  }
}

function isAccepted(payload: unknown): boolean {
  return (
    typeof payload === "object" &&
    payload !== null &&
    (payload as { status?: unknown }).status === "accepted"
  );
}

function jitteredBackoff(attempt: number): number {
  const base = Math.min(250 * 2 ** attempt, 5_000);
  return base / 2 + Math.random() * (base / 2);
}
