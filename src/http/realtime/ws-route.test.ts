import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../core/access.js";
import type { BusEvent } from "../../core/events.js";
import {
  OWNER,
  type RealtimeServer,
  bearer,
  openSocket,
  startRealtimeServer,
} from "../../../test/helpers/realtime.js";
import { CLOSE } from "./frames.js";
import { MAX_PAYLOAD_BYTES } from "./ws-route.js";

let server: RealtimeServer;
beforeAll(async () => {
  server = await startRealtimeServer();
});
afterAll(() => server.close());

async function token(name: string, role: Role = "viewer", org = "default") {
  return server.access.createToken({ name, role, org }, OWNER);
}

const warning = {
  type: "gateway.warning",
  botId: "id-alpha",
  actor: "test",
  ts: "2026-11-30T20:00:00.000Z",
  data: { check: "rss", message: "over the limit" },
} as BusEvent;

describe("GET /ws: the handshake", () => {
  it("refuses an upgrade without credentials (401) and with a bad token, before upgrading", async () => {
    await expect(openSocket(server.url, {})).rejects.toMatchObject({ status: 401 });
    const refused = openSocket(server.url, bearer("clawops_000000000000_" + "A".repeat(43)));
    await expect(refused).rejects.toMatchObject({ status: 401 });
    expect(server.hub.stats().connections).toBe(0);
  });

  it("says connected with who the caller is", async () => {
    const { token: made, secret } = await token("hello");
    const socket = await openSocket(server.url, bearer(secret));
    expect(await socket.frame((f) => f.type === "connected")).toEqual({
      type: "connected",
      user: { kind: "token", id: made.id, name: "hello" },
      org: "default",
      role: "viewer",
      notifications: `user:${made.id}:notifications`,
    });
    socket.ws.close();
    await socket.closed;
  });
});

describe("upgrades of other paths", () => {
  it("answers them as plain requests and closes their connections", async () => {
    const { secret } = await token("stray");
    const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/api/v1/auth/me`, {
      headers: bearer(secret),
    });
    const status = await new Promise<number>((resolve, reject) => {
      setTimeout(() => reject(new Error("the connection stayed open")), 3_000).unref();
      ws.once("unexpected-response", (_request, response) => {
        response.resume();
        response.socket.once("close", () => resolve(response.statusCode ?? 0));
      });
    });
    expect(status).toBe(200);
  });
});

describe("revocation", () => {
  it("closes an open WebSocket at once when its token is revoked (4401)", async () => {
    const { token: made, secret } = await token("soon-revoked");
    const socket = await openSocket(server.url, bearer(secret));
    socket.send({ type: "subscribe", room: "bot:alpha" });
    await socket.frame((f) => f.type === "subscribed");
    const other = await openSocket(server.url, bearer((await token("stays")).secret));
    const started = Date.now();
    await server.access.revokeToken(made.id, OWNER);
    const closed = await socket.closed;
    expect(closed).toEqual({ code: CLOSE.unauthorized, reason: "credential revoked" });
    expect(Date.now() - started).toBeLessThan(1_000);
    // The other socket is untouched, and the revoked token cannot come back.
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    await expect(openSocket(server.url, bearer(secret))).rejects.toMatchObject({ status: 401 });
    other.ws.close();
  });

  it("closes a login's sockets when it logs out, and when its user is removed", async () => {
    await server.access.addUser(
      { name: "lena", password: "a long password 1", role: "viewer" },
      OWNER,
    );
    const first = await server.access.login("lena", "a long password 1");
    const second = await server.access.login("lena", "a long password 1");
    const cookie = (c: string) => ({ cookie: `clawops_login=${c}` });
    const a = await openSocket(server.url, cookie(first.cookie));
    const b = await openSocket(server.url, cookie(second.cookie));
    await server.access.logout(first.cookie);
    expect((await a.closed).code).toBe(CLOSE.unauthorized);
    expect(b.ws.readyState).toBe(WebSocket.OPEN);
    await server.access.removeUser("lena", OWNER);
    expect((await b.closed).code).toBe(CLOSE.unauthorized);
  });
});

describe("rooms", () => {
  it("lets a viewer join its organisation's rooms only, and delivers their events", async () => {
    const { token: made, secret } = await token("viewer-other", "viewer", "other");
    const socket = await openSocket(server.url, bearer(secret));
    for (const room of [
      "bot:beta",
      "org:other:events",
      `user:${made.id}:notifications`,
      "bot:alpha",
      "org:default:events",
      "user:someone-else:notifications",
    ])
      socket.send({ type: "subscribe", room });
    await socket.frame((f) => f.type === "error" && f.room === "user:someone-else:notifications");
    expect(socket.frames.filter((f) => f.type === "subscribed").map((f) => f.room)).toEqual([
      "bot:beta",
      "org:other:events",
      `user:${made.id}:notifications`,
    ]);
    expect(socket.frames.filter((f) => f.type === "error").map((f) => [f.room, f.code])).toEqual([
      ["bot:alpha", "NOT_FOUND"],
      ["org:default:events", "FORBIDDEN"],
      ["user:someone-else:notifications", "FORBIDDEN"],
    ]);
    server.hub.publish(warning);
    server.hub.publish({ ...warning, botId: "id-beta" });
    const event = await socket.frame((f) => f.type === "event");
    expect(event).toMatchObject({ room: "bot:beta", event: { botId: "id-beta" } });
    await socket.frame((f) => f.type === "event" && f.room === "org:other:events");
    expect(socket.frames.filter((f) => f.type === "event")).toHaveLength(2);
    socket.send({ type: "unsubscribe", room: "bot:beta" });
    await socket.frame((f) => f.type === "unsubscribed");
    socket.ws.close();
  });
});

describe("framing", () => {
  it("delivers frames of every length class intact (7-bit, 16-bit and 64-bit lengths)", async () => {
    const socket = await openSocket(server.url, bearer((await token("sizes")).secret));
    socket.send({ type: "subscribe", room: "bot:alpha" });
    await socket.frame((f) => f.type === "subscribed");
    const sizes = [1, 300, 70_000];
    for (const size of sizes)
      server.hub.publish({
        ...warning,
        data: { check: "rss", message: "m".repeat(size) },
      } as BusEvent);
    await socket.frame((f) => f.type === "event" && JSON.stringify(f).length > 70_000);
    const messages = socket.frames
      .filter((f) => f.type === "event")
      .map((f) => (f.event as { data: { message: string } }).data.message.length);
    expect(messages).toEqual(sizes);
    socket.ws.close();
  });
});

describe("the offline queue", () => {
  it("delivers the notifications missed while away on reconnect, after connected", async () => {
    const { token: made, secret } = await token("inbox");
    const room = `user:${made.id}:notifications`;
    const first = await openSocket(server.url, bearer(secret));
    first.send({ type: "subscribe", room });
    await first.frame((f) => f.type === "subscribed");
    const title = (n: number) => `repair of alpha escalated (${n})`;
    const tell = (n: number) =>
      server.hub.notify({
        kind: "escalated",
        bot: "alpha",
        title: title(n),
        lines: [],
        dedupeKey: `k${n}`,
        ts: new Date().toISOString(),
      });
    tell(1);
    await first.frame((f) => f.type === "notification");
    first.ws.close();
    await first.closed;
    for (let n = 2; n <= 4; n += 1) tell(n);
    const again = await openSocket(server.url, bearer(secret));
    again.send({ type: "subscribe", room });
    await again.frame(
      (f) =>
        f.type === "notification" &&
        f.notification !== undefined &&
        (f.notification as { title: string }).title === title(4),
    );
    expect(again.frames.map((f) => f.type)).toEqual([
      "connected",
      "subscribed",
      "notification",
      "notification",
      "notification",
    ]);
    expect(
      again.frames
        .filter((f) => f.type === "notification")
        .map((f) => (f.notification as { title: string }).title),
    ).toEqual([title(2), title(3), title(4)]);
    again.ws.close();
  });
});

describe("limits", () => {
  it("closes a socket that sends a message over 64 KiB (1009)", async () => {
    const socket = await openSocket(server.url, bearer((await token("big")).secret));
    socket.ws.send("x".repeat(MAX_PAYLOAD_BYTES + 1));
    expect((await socket.closed).code).toBe(CLOSE.tooBig);
  });

  it("refuses a cookie socket from a foreign origin (403), takes one from the daemon's own", async () => {
    await server.access.addUser(
      { name: "otto", password: "a long password 2", role: "viewer" },
      OWNER,
    );
    const { cookie } = await server.access.login("otto", "a long password 2");
    const jar = { cookie: `clawops_login=${cookie}` };
    const foreign = openSocket(server.url, { ...jar, origin: "https://evil.example" });
    await expect(foreign).rejects.toMatchObject({ status: 403 });
    const own = await openSocket(server.url, { ...jar, origin: server.url });
    await own.frame((f) => f.type === "connected");
    own.ws.close();
    // A token is not sent by a browser on its own: its Origin does not matter.
    const script = await openSocket(server.url, {
      ...bearer((await token("script")).secret),
      origin: "https://elsewhere.example",
    });
    script.ws.close();
  });
});
