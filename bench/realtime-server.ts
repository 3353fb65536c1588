import { createServer } from "node:http";
import type { BusEvent } from "../src/core/events.js";
import { OWNER, startRealtimeServer } from "../test/helpers/realtime.js";

export type ServerKind = "clawops" | "socket.io";

export interface BenchServer {
  url: string;
  /** A viewer token every client authenticates with. */
  token: string;
  /** Publishes round `seq` to room `bot:alpha`, stamped with `sentAt` (epoch ms). */
  publish(seq: number, sentAt: number): void;
  close(): Promise<void>;
}

/** Padding that makes the event frame 200 bytes, give or take the digits of `seq` and `sentAt`. */
const PAD = "x".repeat(4);

/** The event each round publishes: ~200 bytes as a frame. */
export function benchEvent(seq: number, sentAt: number) {
  return {
    type: "gateway.warning",
    botId: "id-alpha",
    actor: "bench",
    ts: new Date(sentAt).toISOString(),
    data: { message: PAD, seq, sentAt },
  };
}

/** clawops's HTTP server with its realtime hub, a real SQLite store and the real access checks. */
async function clawops(): Promise<BenchServer> {
  const server = await startRealtimeServer();
  const { secret } = await server.access.createToken({ name: "bench", role: "viewer" }, OWNER);
  return {
    url: server.url,
    token: secret,
    publish: (seq, sentAt) => server.hub.publish(benchEvent(seq, sentAt) as unknown as BusEvent),
    close: () => server.close(),
  };
}

/**
 * socket.io on the same loopback, WebSocket transport only (no long-polling
 * upgrade), authenticating each connection with the same access service and
 * store (a middleware), joining rooms on request and broadcasting to a room:
 * what clawops's hub does, with socket.io's own framing and adapter.
 */
async function socketIo(): Promise<BenchServer> {
  const { Server } = await import("socket.io");
  const realtime = await startRealtimeServer();
  const { secret } = await realtime.access.createToken({ name: "bench", role: "viewer" }, OWNER);
  const http = createServer();
  const io = new Server(http, {
    transports: ["websocket"],
    serveClient: false,
    perMessageDeflate: false,
    maxHttpBufferSize: 64 * 1024,
  });
  io.use((socket, next) => {
    const header = socket.handshake.headers.authorization ?? "";
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!bearer) return next(new Error("unauthorized"));
    realtime.access.authenticate({ bearer }).then(
      (found) => next(found ? undefined : new Error("unauthorized")),
      () => next(new Error("unauthorized")),
    );
  });
  io.on("connection", (socket) => {
    socket.on("subscribe", (room: string, ack?: () => void) => {
      void socket.join(room);
      ack?.();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    token: secret,
    publish: (seq, sentAt) =>
      io.to("bot:alpha").emit("event", { room: "bot:alpha", event: benchEvent(seq, sentAt) }),
    async close() {
      await io.close();
      await realtime.close();
    },
  };
}

export function startBenchServer(kind: ServerKind): Promise<BenchServer> {
  return kind === "clawops" ? clawops() : socketIo();
}
