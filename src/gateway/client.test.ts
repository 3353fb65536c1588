import { type Server, createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { freePort } from "../../test/helpers/cli.js";
import { GatewayClient } from "./client.js";

// A real gateway covers the handshake, RPCs, auth and restarts (test/gateway-harness.test.ts).
// These are the peers a real gateway cannot be: silent, foreign or broken servers.
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const HELLO_OK = {
  type: "hello-ok",
  protocol: 4,
  server: { version: "9.9.9", bootId: "b" },
  auth: { role: "operator", scopes: ["operator.read"] },
};
/** The gateway's answer to `connect` request `id`. */
const helloFrame = (id: string) => JSON.stringify({ type: "res", id, ok: true, payload: HELLO_OK });
const CHALLENGE = JSON.stringify({
  type: "event",
  event: "connect.challenge",
  payload: { nonce: "n", ts: 1 },
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `ws://127.0.0.1:${(server.address() as { port: number }).port}/`;
}

async function wsServer(onConnection: (socket: WebSocket) => void): Promise<string> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on("connection", onConnection);
  closers.push(async () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
  return listen(server);
}

describe("GatewayClient against peers that are not a healthy gateway", () => {
  it("reports nothing listening as unavailable", async () => {
    const port = await freePort();
    await expect(
      GatewayClient.connect({ url: `ws://127.0.0.1:${port}/`, token: "t" }),
    ).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringContaining("ECONNREFUSED") as string,
    });
  });

  it("says so when a plain HTTP server answers the upgrade", async () => {
    const url = await listen(createServer((_req, res) => res.end("<html>hello</html>")));
    await expect(GatewayClient.connect({ url, token: "t" })).rejects.toMatchObject({
      code: "NOT_OPENCLAW",
      message: expect.stringContaining("answered HTTP 200 to a WebSocket upgrade") as string,
    });
  });

  it("times out on a server that hangs mid-handshake", async () => {
    const url = await wsServer(() => undefined);
    const started = Date.now();
    await expect(
      GatewayClient.connect({ url, token: "t", connectTimeoutMs: 300 }),
    ).rejects.toMatchObject({
      code: "TIMEOUT",
      message: expect.stringContaining("no handshake") as string,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("rejects malformed frames during the handshake as not OpenClaw", async () => {
    const url = await wsServer((socket) => socket.send("{not json"));
    await expect(GatewayClient.connect({ url, token: "t" })).rejects.toMatchObject({
      code: "NOT_OPENCLAW",
    });
  });

  it("ignores malformed frames after the handshake and keeps serving calls", async () => {
    const url = await wsServer((socket) => {
      socket.send(CHALLENGE);
      socket.on("message", (raw: Buffer) => {
        const req = JSON.parse(raw.toString()) as { id: string; method: string };
        if (req.method === "connect") {
          socket.send(helloFrame(req.id));
          return;
        }
        socket.send("garbage");
        socket.send(JSON.stringify({ type: "res", id: "unknown-id", ok: true }));
        socket.send(JSON.stringify({ type: "res", id: req.id, ok: true, payload: { ok: true } }));
      });
    });
    const client = await GatewayClient.connect({ url, token: "t", reconnect: false });
    try {
      const { z } = await import("zod");
      expect(await client.request("health", {}, z.object({ ok: z.boolean() }))).toEqual({
        ok: true,
      });
      expect(client.malformedFrames).toBe(1);
      expect(client.hello.policy.maxPayload).toBe(26_214_400);
    } finally {
      client.close();
    }
  });

  it("stops reconnecting once closed, and does not come back to life", async () => {
    let connections = 0;
    const url = await wsServer((socket) => {
      connections += 1;
      const first = connections === 1;
      socket.send(CHALLENGE);
      socket.on("message", (raw: Buffer) => {
        const req = JSON.parse(raw.toString()) as { id: string };
        // Later handshakes answer slowly, so close() lands while one is under way.
        setTimeout(() => socket.send(helloFrame(req.id)), first ? 0 : 300);
        if (first) setTimeout(() => socket.close(1012, "service restart"), 50);
      });
    });
    const client = await GatewayClient.connect({ url, token: "t" });
    const statuses: string[] = [];
    client.onStatus((s) => statuses.push(s));
    await new Promise((r) => setTimeout(r, 150));
    expect(statuses).toEqual(["reconnecting"]);
    client.close();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(client.connected).toBe(false);
    expect(statuses).toEqual(["reconnecting", "closed"]);
    expect(connections).toBe(2);
  });

  it("drops a connection that goes silent (a hung gateway) and fails the calls in flight", async () => {
    const url = await wsServer((socket) => {
      socket.send(CHALLENGE);
      socket.on("message", (raw: Buffer) => {
        const req = JSON.parse(raw.toString()) as { id: string; method: string };
        // After the hello it never says anything again, like a SIGSTOPped process.
        if (req.method === "connect") socket.send(helloFrame(req.id));
      });
    });
    const client = await GatewayClient.connect({
      url,
      token: "t",
      silenceTimeoutMs: 300,
      reconnect: false,
    });
    const { z } = await import("zod");
    const started = Date.now();
    const call = await client
      .request("health", {}, z.unknown(), { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(call).toMatchObject({ code: "GATEWAY_CLOSED", retryable: true });
    expect((call as Error).message).toMatch(/^gateway silent for \d+ms \(hung\?\)/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(client.connected).toBe(false);
    client.close();
  });
});
