import type { FastifyInstance } from "fastify";
import pino from "pino";
import WebSocket from "ws";
import { AccessService } from "../../src/access/service.js";
import type { Principal } from "../../src/core/access.js";
import { configSchema } from "../../src/config/schema.js";
import type { DaemonContext } from "../../src/daemon/context.js";
import { createMetrics } from "../../src/daemon/metrics.js";
import type { OutFrame } from "../../src/http/realtime/frames.js";
import {
  type HubDeps,
  type HubLimits,
  type Peer,
  RealtimeHub,
} from "../../src/http/realtime/hub.js";
import { buildHttpServer } from "../../src/http/server.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { Store } from "../../src/store/store.js";
import { tempDir } from "./cli.js";

/** The host's owner, as the local CLI is: it mints the tests' tokens. */
export const OWNER: Principal = {
  kind: "local",
  id: "local",
  name: "local",
  org: "default",
  role: "owner",
};

/** The bots the tests' hubs know: `alpha` of organisation `default`, `beta` of `other`. */
const BOT_ORGS: Record<string, string> = { alpha: "default", beta: "other" };
const BOT_NAMES: Record<string, string> = { "id-alpha": "alpha", "id-beta": "beta" };

/** A hub that knows the tests' bots, with its own metrics; `overrides` replace its deps. */
export function testHub(overrides: Partial<HubDeps> = {}) {
  const metrics = createMetrics();
  const realtime = new RealtimeHub({
    botName: (id) => BOT_NAMES[id] ?? null,
    botOrg: (name) => BOT_ORGS[name] ?? null,
    fleetOrg: "default",
    stillValid: () => Promise.resolve(true),
    log: pino({ level: "silent" }),
    metrics,
    ...overrides,
  });
  return { realtime, metrics };
}

/** A peer that records what it was sent and how it ended. */
export class FakePeer implements Peer {
  readonly transport = "ws" as const;
  readonly frames: Record<string, unknown>[] = [];
  closed: { code: number; reason: string } | null = null;
  terminated = false;
  alive = true;
  /** What `buffered()` answers: set it to play a slow consumer. */
  backlog = 0;
  send(frame: OutFrame) {
    if (this.closed || this.terminated) return false;
    this.frames.push(JSON.parse(frame.text) as Record<string, unknown>);
    return true;
  }
  buffered() {
    return this.backlog;
  }
  close(code: number, reason: string) {
    this.closed ??= { code, reason };
  }
  terminate() {
    this.terminated = true;
  }
  heartbeat() {
    const was = this.alive;
    this.alive = false;
    return was;
  }
  /** The frames of one type. */
  of(type: string) {
    return this.frames.filter((f) => f.type === type);
  }
}

export interface RealtimeServer {
  app: FastifyInstance;
  hub: RealtimeHub;
  access: AccessService;
  store: Store;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/**
 * The daemon's HTTP server on loopback with a real store, real access
 * checks and a realtime hub, and no gateways: bots `alpha` (organisation
 * `default`) and `beta` (`other`) exist as far as the hub knows.
 */
export async function startRealtimeServer(
  limits: Partial<HubLimits> = {},
  http: Record<string, unknown> = {},
): Promise<RealtimeServer> {
  const scratch = tempDir("clawops-realtime-");
  const store = openSqliteStore(`${scratch.dir}/clawops.db`);
  await store.migrate();
  await store.access.addOrg("other", new Date().toISOString());
  const access = new AccessService({ store });
  const { realtime: hub, metrics } = testHub({
    stillValid: (credential) => access.stillValid(credential),
    limits,
  });
  access.onRevoked((revoked) => hub.revoke(revoked));
  const ctx = {
    config: {
      dataDir: scratch.dir,
      http: configSchema.parse({ http }).http,
      access: configSchema.parse({}).access,
    },
    version: "0.0.0-test",
    metrics,
    store,
    access,
    realtime: hub,
    redis: null,
  } as unknown as DaemonContext;
  const app = buildHttpServer(ctx, pino({ level: "silent" }));
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as { port: number };
  return {
    app,
    hub,
    access,
    store,
    url: `http://127.0.0.1:${port}`,
    async close() {
      hub.close();
      await app.close();
      await store.close();
      scratch.remove();
    },
  };
}

export type Frame = Record<string, unknown> & { type: string };

/** A test's WebSocket client: every frame it got, and waits on what comes next. */
export interface TestSocket {
  ws: WebSocket;
  frames: Frame[];
  /** Resolves with the first frame (from the start) that `match` accepts, waiting up to 5 s. */
  frame(match: (frame: Frame) => boolean): Promise<Frame>;
  send(frame: unknown): void;
  /** Resolves with the close code and reason once the socket closed. */
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens `/ws`; rejects with the HTTP status when the upgrade is refused. */
export function openSocket(url: string, headers: Record<string, string>): Promise<TestSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/ws`, { headers });
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data: Buffer) => {
    frames.push(JSON.parse(data.toString()) as Frame);
    for (const wake of waiters) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const frame = (match: (frame: Frame) => boolean) =>
    new Promise<Frame>((resolve, reject) => {
      const check = () => {
        const found = frames.find(match);
        if (!found) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no such frame within 5 s; got ${JSON.stringify(frames)}`));
      }, 5_000);
      waiters.add(check);
      check();
    });
  return new Promise((resolve, reject) => {
    ws.once("open", () =>
      resolve({ ws, frames, frame, closed, send: (f) => ws.send(JSON.stringify(f)) }),
    );
    ws.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () =>
        reject(
          Object.assign(new Error(`upgrade refused: ${response.statusCode}`), {
            status: response.statusCode,
            body,
          }),
        ),
      );
    });
    ws.once("error", reject);
  });
}

/** Bearer auth headers for a token. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
