import websocket from "@fastify/websocket";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import type { ClawopsConfig } from "../../config/schema.js";
import { OpsError } from "../../core/errors.js";
import { sameOrigin } from "../host-guard.js";
import { type OutFrame, errorFrame } from "./frames.js";
import type { Peer, RealtimeHub } from "./hub.js";

/** Where the WebSocket endpoint is served. */
export const WS_PATH = "/ws";
/** The largest message a client may send; a larger one closes the socket (1009). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** A socket the server closes gets this long to answer the close frame before it is cut. */
const CLOSE_GRACE_MS = 1_000;

/**
 * `GET /ws`: the realtime WebSocket (docs/realtime.md). Any role may
 * connect; rooms are checked as they are joined. A browser's socket
 * authenticated by the login cookie must come from the daemon's own origin
 * or one of `http.corsOrigins` (cross-site WebSocket hijacking).
 *
 * Upgrades go through the router and the root's hooks like any request: the
 * host guard and authentication answer 421/401/403 before a socket is
 * upgraded. `@fastify/websocket` is registered in a scope of its own holding
 * this one route: it wraps the handler of every route declared beside it.
 */
export function wsRoute(
  scope: FastifyInstance,
  hub: () => RealtimeHub,
  http: ClawopsConfig["http"],
): void {
  void scope.register(async (app) => {
    await app.register(websocket, {
      options: { maxPayload: MAX_PAYLOAD_BYTES, perMessageDeflate: false },
    });
    app.get(
      WS_PATH,
      {
        websocket: true,
        config: { access: "viewer" },
        schema: { hide: true },
        preValidation: async (request) => checkOrigin(request, http.corsOrigins),
      },
      (socket, request) => {
        // The request is not kept: an idle connection holds the hub's record and its socket only.
        const connection = hub().connect(
          wsPeer(socket, request.raw.socket),
          request.authenticated!,
        );
        socket.on("message", (data, isBinary) => {
          if (isBinary) connection.peer.send(errorFrame("BAD_REQUEST", "send JSON text frames"));
          else hub().receive(connection, rawText(data));
        });
        socket.on("close", () => hub().disconnect(connection));
      },
    );
  });
}

/**
 * An upgrade request that got an ordinary answer (any other path, or `/ws`
 * refused: 401, 403, 421) was answered on the socket the upgrade took over
 * from the HTTP server, which would then stay open for as long as the client
 * likes: it is closed once answered. (A socket that was upgraded never gets
 * here: its reply is hijacked.)
 */
export function closeStrayUpgrade(request: FastifyRequest): void {
  if (request.raw.headers.upgrade !== undefined) request.raw.socket.destroy();
}

function checkOrigin(request: FastifyRequest, corsOrigins: readonly string[]): void {
  const origin = request.headers.origin;
  if (request.authenticated?.credential.kind !== "login" || origin === undefined) return;
  if (sameOrigin(origin, request.headers.host ?? "") || corsOrigins.includes(origin)) return;
  throw new OpsError(
    "FORBIDDEN",
    `a WebSocket with the login cookie from origin "${origin.slice(0, 255)}" is refused: only pages served by this daemon or http.corsOrigins may open one`,
  );
}

function rawText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

/**
 * The hub's view of a `ws` socket: frames as text, liveness by ping and pong.
 * Frames are written to the TCP socket ready-made (`OutFrame.wsFrame`, made
 * once per fan-out) rather than through `ws.send`, which frames each message
 * for each socket; `ws` writes its own frames (pings, closes) whole and
 * synchronously (no compression), so the two never interleave within a
 * frame, and its `bufferedAmount` counts both.
 */
function wsPeer(socket: WebSocket, tcp: Duplex): Peer {
  let alive = true;
  socket.on("pong", () => {
    alive = true;
  });
  return {
    transport: "ws",
    send(frame: OutFrame) {
      if (socket.readyState !== socket.OPEN) return false;
      tcp.write(frame.wsFrame);
      return true;
    },
    buffered: () => socket.bufferedAmount,
    close(code, reason) {
      if (socket.readyState !== socket.OPEN) return;
      socket.close(code, reason);
      // Behind a full buffer (a slow consumer) or a dead peer the close frame may never be
      // read: rather than ws's 30 s wait, the socket is cut soon after.
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    },
    terminate: () => socket.terminate(),
    heartbeat() {
      if (!alive) return false;
      alive = false;
      socket.ping();
      return true;
    },
  };
}
