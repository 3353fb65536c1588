import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  OWNER,
  type RealtimeServer,
  bearer,
  startRealtimeServer,
} from "../../../test/helpers/realtime.js";
import { SSE_PATH } from "./sse-route.js";

let server: RealtimeServer;
beforeAll(async () => {
  server = await startRealtimeServer();
});
afterAll(() => server.close());

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a text/event-stream answer event by event. */
function reader(response: Response) {
  const stream = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const events: SseEvent[] = [];
  let comments = 0;
  async function next(): Promise<SseEvent | null> {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(":")) {
          comments += 1;
          continue;
        }
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
        const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null") as SseEvent["data"];
        events.push({ event, data });
        return { event, data };
      }
      const { value, done } = await stream.read();
      if (done) return null;
      buffer += decoder.decode(value, { stream: true });
    }
  }
  return { next, events, comments: () => comments, cancel: () => stream.cancel() };
}

const stream = (rooms: string[], headers: Record<string, string>) =>
  fetch(`${server.url}${SSE_PATH}?${rooms.map((r) => `room=${encodeURIComponent(r)}`).join("&")}`, {
    headers,
  });

describe("GET /api/v1/events/stream", () => {
  it("streams connected, subscribed, then the rooms' events, with the frames /ws sends", async () => {
    const { secret } = await server.access.createToken({ name: "sse", role: "viewer" }, OWNER);
    const response = await stream(["bot:alpha", "org:default:events"], bearer(secret));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const sse = reader(response);
    expect((await sse.next())?.event).toBe("connected");
    expect((await sse.next())?.data).toEqual({ type: "subscribed", room: "bot:alpha" });
    expect((await sse.next())?.data).toEqual({ type: "subscribed", room: "org:default:events" });
    server.hub.publish({
      type: "gateway.warning",
      botId: "id-alpha",
      actor: "test",
      ts: "2026-11-30T20:00:00.000Z",
      data: { check: "rss", message: "big" },
    });
    const event = await sse.next();
    expect(event).toMatchObject({
      event: "event",
      data: { type: "event", room: "bot:alpha", event: { type: "gateway.warning" } },
    });
    expect((await sse.next())?.data).toMatchObject({ room: "org:default:events" });
    server.hub.heartbeat();
    server.hub.publish({
      type: "daemon.started",
      botId: null,
      actor: "test",
      ts: "2026-11-30T20:00:00.000Z",
      data: { pid: 1, version: "0", http: "x", store: "sqlite" },
    });
    expect((await sse.next())?.data).toMatchObject({ room: "org:default:events" });
    expect(sse.comments()).toBe(1);
    await sse.cancel();
  });

  it("checks every room before it starts: 403, 404 and 400 as error answers", async () => {
    const { secret } = await server.access.createToken(
      { name: "sse-rights", role: "viewer" },
      OWNER,
    );
    const forbidden = await stream(["bot:alpha", "org:other:events"], bearer(secret));
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
    expect((await stream(["bot:beta"], bearer(secret))).status).toBe(404);
    expect((await stream(["nonsense"], bearer(secret))).status).toBe(400);
    expect((await stream(["bot:alpha"], {})).status).toBe(401);
  });

  it("ends the stream with an error event when the token is revoked", async () => {
    const { token, secret } = await server.access.createToken(
      { name: "sse-revoked", role: "viewer" },
      OWNER,
    );
    const sse = reader(await stream(["bot:alpha"], bearer(secret)));
    await sse.next();
    await sse.next();
    await server.access.revokeToken(token.id, OWNER);
    expect(await sse.next()).toMatchObject({
      event: "error",
      data: { type: "error", code: "UNAUTHORIZED", close: 4401 },
    });
    expect(await sse.next()).toBeNull();
  });
});
