import type { createConnection } from "node:net";
import WebSocket from "ws";
import { OpsError } from "../core/errors.js";
import { type ConnectAuth, buildConnectParams, checkGrantedScopes, connectError } from "./auth.js";
import { type HelloOk, challengeSchema, helloOkSchema, parseFrame } from "./frames.js";
import { httpConnection } from "./tcp-connect.js";

export interface HandshakeOptions {
  auth: ConnectAuth;
  /** Budget for the whole attempt: upgrade, challenge and hello. */
  timeoutMs: number;
  /** Aborted when the client was closed while this attempt was under way. */
  closing: AbortSignal;
  /**
   * Takes over the open socket. Called synchronously with the hello, before
   * the returned promise resolves: frames that arrive right behind the hello
   * (or a close) would otherwise reach a socket with no listeners.
   */
  attach: (ws: WebSocket, hello: HelloOk) => void;
}

/**
 * One connection attempt: opens the WebSocket, answers the gateway's
 * `connect.challenge`, validates `hello-ok` and the granted scopes, then hands
 * the socket to `attach`. Rejects with an `OpsError` that says why; it is
 * `retryable` when the gateway is booting or restarting (HTTP 503, close
 * 1012/1013, a refused or reset connection, a timeout), so a caller may wait
 * and try again. A failed attempt leaves no socket open.
 */
export function handshake({ auth, timeoutMs, closing, attach }: HandshakeOptions): Promise<void> {
  const { url } = auth;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
      // Plain TCP only (wss:// keeps ws's TLS connection). Only host, port and timeout are
      // read: the type is net's, with all its overloads.
      ...(url.startsWith("ws:")
        ? { createConnection: httpConnection as typeof createConnection }
        : {}),
    });
    let settled = false;
    const fail = (error: OpsError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on("error", () => undefined);
      ws.terminate();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new OpsError(
            "TIMEOUT",
            `no handshake from ${url} within ${timeoutMs}ms (the gateway hangs or is not OpenClaw)`,
            { retryable: true },
          ),
        ),
      timeoutMs,
    );
    ws.on("unexpected-response", (_req, res) => {
      const status = res.statusCode ?? 0;
      fail(
        status === 503
          ? new OpsError("UNAVAILABLE", `${url} is restarting (HTTP 503)`, { retryable: true })
          : new OpsError(
              "NOT_OPENCLAW",
              `${url} answered HTTP ${status} to a WebSocket upgrade: not an OpenClaw gateway`,
            ),
      );
    });
    ws.on("error", (error: NodeJS.ErrnoException) => {
      const code = error.code ?? "";
      fail(
        new OpsError("UNAVAILABLE", `cannot reach ${url}: ${code || error.message}`, {
          retryable: ["ECONNREFUSED", "ECONNRESET"].includes(code),
        }),
      );
    });
    ws.on("close", (code, reason) => {
      fail(
        code === 1013 || code === 1012
          ? new OpsError("UNAVAILABLE", `gateway at ${url} is starting (close ${code})`, {
              retryable: true,
            })
          : new OpsError(
              "GATEWAY_CLOSED",
              `gateway closed the connection during the handshake (${code} ${reason.toString()})`,
            ),
      );
    });
    ws.on("message", (data: WebSocket.RawData) => {
      const frame = parseFrame(data);
      if (!frame) {
        return fail(
          new OpsError("NOT_OPENCLAW", `${url} sent a frame that is not OpenClaw protocol JSON`),
        );
      }
      if (frame.type === "event" && frame.event === "connect.challenge") {
        const challenge = challengeSchema.safeParse(frame.payload);
        if (!challenge.success)
          return fail(new OpsError("NOT_OPENCLAW", "malformed connect.challenge"));
        let params;
        try {
          params = buildConnectParams(auth, challenge.data);
        } catch (error) {
          return fail(error as OpsError);
        }
        ws.send(JSON.stringify({ type: "req", id: "connect", method: "connect", params }));
        return;
      }
      if (frame.type !== "res" || frame.id !== "connect") return;
      if (!frame.ok) return fail(connectError(frame.error, auth));
      // Closed by the user while this (re)connect was under way: do not come back to life.
      if (closing.aborted) return fail(new OpsError("GATEWAY_CLOSED", "client closed"));
      const hello = helloOkSchema.safeParse(frame.payload);
      if (!hello.success) {
        return fail(
          new OpsError(
            "GATEWAY_BAD_RESPONSE",
            `hello-ok has an unexpected shape: ${hello.error.issues[0]?.message}`,
          ),
        );
      }
      const scopeError = checkGrantedScopes(hello.data.auth.scopes, auth);
      if (scopeError) return fail(scopeError);
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners();
      attach(ws, hello.data);
      resolve();
    });
  });
}
