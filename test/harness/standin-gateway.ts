import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

/**
 * A stand-in for an OpenClaw gateway's protocol v4 WebSocket, for the load
 * tester's upper range (a real gateway takes ~1 GB and a 2-core host runs
 * three at most): the same challenge, connect and hello-ok, `chat.send`
 * answered with `{runId, status: "started"}`, then `chat` delta events and a
 * final frame (docs/openclaw-2026.9.6.md, "Event sequence of one turn"), and
 * the `/healthz` and `/readyz` probes. It does nothing else a gateway does: no
 * agent, no LLM, no sessions.
 */
export interface StandinOptions {
  token: string;
  /** Delay before the first delta (the model's "thinking"). */
  firstTokenMs?: number;
  /** Delta frames a reply streams in. */
  deltas?: number;
  /** Every turn ends in an error frame with this text instead of a reply. */
  turnError?: string;
}

export interface StandinGateway {
  url: string;
  port: number;
  /** Connections that completed the handshake, open now. */
  connections(): number;
  turns(): number;
  close(): Promise<void>;
}

export async function startStandinGateway(options: StandinOptions): Promise<StandinGateway> {
  // OpenClaw's unauthenticated probes on the same port, as `clawops verify` and readiness read them.
  const startedAt = Date.now();
  const http = createServer((request, response) => {
    const body =
      request.url === "/healthz"
        ? { ok: true, status: "live" }
        : request.url === "/readyz"
          ? { ready: true, failing: [], uptimeMs: Date.now() - startedAt }
          : null;
    response.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    response.end(JSON.stringify(body ?? { error: { message: "not found" } }));
  });
  const server = new WebSocketServer({ server: http, perMessageDeflate: false });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  let open = 0;
  let turns = 0;
  server.on("connection", (ws) => {
    let connected = false;
    send(ws, {
      type: "event",
      event: "connect.challenge",
      payload: { nonce: randomUUID(), ts: Date.now() },
    });
    ws.on("close", () => {
      if (connected) open -= 1;
    });
    ws.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as {
        id: string;
        method: string;
        params: Record<string, unknown>;
      };
      if (frame.method === "connect") {
        const auth = frame.params.auth as { token?: string } | undefined;
        if (auth?.token !== options.token) {
          send(ws, {
            type: "res",
            id: frame.id,
            ok: false,
            error: {
              code: "INVALID_REQUEST",
              message: "unauthorized: gateway token mismatch",
              details: { code: "AUTH_TOKEN_MISMATCH" },
            },
          });
          ws.close(1008, "unauthorized");
          return;
        }
        connected = true;
        open += 1;
        send(ws, { type: "res", id: frame.id, ok: true, payload: hello(randomUUID()) });
        return;
      }
      if (frame.method === "chat.send" && connected) {
        turns += 1;
        const runId = frame.params.idempotencyKey as string;
        const sessionKey = frame.params.sessionKey as string;
        send(ws, { type: "res", id: frame.id, ok: true, payload: { runId, status: "started" } });
        reply(ws, runId, sessionKey, options);
        return;
      }
      send(ws, {
        type: "res",
        id: frame.id,
        ok: false,
        error: { code: "INVALID_REQUEST", message: `unknown method: ${frame.method}` },
      });
    });
  });
  return {
    url: `ws://127.0.0.1:${port}/`,
    port,
    connections: () => open,
    turns: () => turns,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => http.close(() => resolve()));
      }),
  };
}

function reply(ws: WebSocket, runId: string, sessionKey: string, options: StandinOptions): void {
  const chat = (payload: Record<string, unknown>) =>
    send(ws, { type: "event", event: "chat", payload: { runId, sessionKey, ...payload } });
  setTimeout(() => {
    if (options.turnError) {
      chat({ state: "error", errorMessage: options.turnError });
      return;
    }
    const deltas = options.deltas ?? 3;
    for (let i = 0; i < deltas; i++) chat({ state: "delta", deltaText: `part ${i + 1} ` });
    chat({
      state: "final",
      stopReason: "stop",
      message: { role: "assistant", content: [{ type: "text", text: "done" }] },
    });
  }, options.firstTokenMs ?? 0);
}

function hello(connId: string) {
  return {
    type: "hello-ok",
    protocol: 4,
    server: { version: "2026.9.6", connId },
    features: { methods: ["chat.send"], events: ["chat"] },
    snapshot: {},
    auth: { role: "operator", scopes: ["operator.read", "operator.write", "operator.admin"] },
    policy: { maxPayload: 26_214_400, tickIntervalMs: 30_000 },
  };
}

function send(ws: WebSocket, frame: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
}
