import WebSocket from "ws";
import type { ServerKind } from "./realtime-server.js";

/** Epoch ms with sub-ms resolution, comparable across processes on one host. */
export const nowMs = () => performance.timeOrigin + performance.now();

export interface BenchClient {
  /** Joins a room; resolves once the server said so. */
  subscribe(room: string): Promise<void>;
  /** Sets what is called for each event: its round and when the server published it. */
  onEvent(handler: (seq: number, sentAt: number) => void): void;
  close(): void;
}

export interface ClientDriver {
  /** Opens one authenticated connection from `localAddress`; `ms` until the server said connected. */
  connect(localAddress: string): Promise<{ ms: number; client: BenchClient }>;
}

interface EventFrame {
  event: { data: { seq: number; sentAt: number } };
}

/** clawops's `/ws`: connected after the handshake's authentication, JSON frames. */
function clawopsDriver(url: string, token: string): ClientDriver {
  const target = `${url.replace(/^http/, "ws")}/ws`;
  return {
    connect: (localAddress) =>
      new Promise((resolve, reject) => {
        const started = nowMs();
        const ws = new WebSocket(target, {
          headers: { authorization: `Bearer ${token}` },
          localAddress,
          perMessageDeflate: false,
        });
        let handler: ((seq: number, sentAt: number) => void) | null = null;
        const acks = new Map<string, () => void>();
        ws.on("message", (data: Buffer) => {
          const text = data.toString();
          if (text.startsWith('{"type":"event"')) {
            const { event } = JSON.parse(text) as EventFrame;
            handler?.(event.data.seq, event.data.sentAt);
          } else if (text.startsWith('{"type":"connected"')) {
            resolve({ ms: nowMs() - started, client });
          } else if (text.startsWith('{"type":"subscribed"')) {
            const { room } = JSON.parse(text) as { room: string };
            acks.get(room)?.();
          }
        });
        ws.once("error", reject);
        const client: BenchClient = {
          subscribe: (room) =>
            new Promise((done) => {
              acks.set(room, done);
              ws.send(JSON.stringify({ type: "subscribe", room }));
            }),
          onEvent: (next) => {
            handler = next;
          },
          close: () => ws.terminate(),
        };
      }),
  };
}

/** socket.io-client over its WebSocket transport: connected once the server's middleware accepted. */
async function socketIoDriver(url: string, token: string): Promise<ClientDriver> {
  const { io } = await import("socket.io-client");
  return {
    connect: (localAddress) =>
      new Promise((resolve, reject) => {
        const started = nowMs();
        const socket = io(url, {
          transports: ["websocket"],
          extraHeaders: { authorization: `Bearer ${token}` },
          forceNew: true,
          reconnection: false,
          localAddress,
        } as Parameters<typeof io>[1]);
        let handler: ((seq: number, sentAt: number) => void) | null = null;
        socket.on("event", (frame: EventFrame) =>
          handler?.(frame.event.data.seq, frame.event.data.sentAt),
        );
        socket.once("connect", () => resolve({ ms: nowMs() - started, client }));
        socket.once("connect_error", reject);
        const client: BenchClient = {
          subscribe: (room) => new Promise((done) => socket.emit("subscribe", room, () => done())),
          onEvent: (next) => {
            handler = next;
          },
          close: () => socket.disconnect(),
        };
      }),
  };
}

/** The client side of one server kind. */
export function clientDriver(kind: ServerKind, url: string, token: string): ClientDriver {
  if (kind === "clawops") return clawopsDriver(url, token);
  let driver: Promise<ClientDriver> | null = null;
  return {
    connect: (localAddress) =>
      (driver ??= socketIoDriver(url, token)).then((d) => d.connect(localAddress)),
  };
}
