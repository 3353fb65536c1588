import type { ServerResponse } from "node:http";
import { z } from "zod";
import { type Api, withErrors } from "../schema.js";
import { CLOSE, type OutFrame } from "./frames.js";
import type { Peer, RealtimeHub } from "./hub.js";

/** Where the Server-Sent Events stream is served. */
export const SSE_PATH = "/api/v1/events/stream";

const querySchema = z.strictObject({
  room: z
    .union([z.string(), z.array(z.string()).min(1).max(100)])
    .transform((room) => [room].flat())
    .meta({
      description:
        "a room to follow (repeatable): `bot:<name>`, `bot:<name>:sessions`, `org:<organisation>:events`, `user:<id>:notifications`",
    }),
});

/**
 * `GET /api/v1/events/stream?room=...`: the realtime API's frames as
 * Server-Sent Events, for clients that cannot use WebSockets
 * (docs/realtime.md). Same credentials and roles as every API call; every
 * room is checked before the stream starts (403/404/400 otherwise).
 */
export function sseRoute(app: Api, hub: () => RealtimeHub): void {
  app.get(
    SSE_PATH,
    {
      schema: {
        tags: ["events"],
        summary: "Follow rooms as Server-Sent Events",
        description:
          "Answers `text/event-stream`: a `connected` event, a `subscribed` event per room, then `event` and `notification` events as they happen (each `data:` is the frame the WebSocket `/ws` sends), and a `: ping` comment every 15 s. Ends with an `error` event when the credential is revoked or expires. See docs/realtime.md.",
        querystring: querySchema,
        response: withErrors(
          { 200: z.string().meta({ description: "text/event-stream" }) },
          401,
          403,
        ),
      },
    },
    async (request, reply) => {
      const { room: rooms } = request.query;
      const auth = request.authenticated!;
      // Every room is checked before the answer starts: a refusal is an ordinary error answer.
      for (const name of rooms) hub().checkRoom(auth.principal, name);
      reply.hijack();
      const response = reply.raw;
      // What the hooks set (request id, security headers) goes out with the stream.
      for (const [name, value] of Object.entries(reply.getHeaders()))
        if (value !== undefined) response.setHeader(name, value);
      response.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        // A reverse proxy (nginx) must pass each event on as it comes.
        "x-accel-buffering": "no",
      });
      response.flushHeaders();
      const connection = hub().connect(ssePeer(response), auth);
      for (const name of rooms) hub().join(connection, name);
      response.on("close", () => hub().disconnect(connection));
    },
  );
}

/** The hub's view of an SSE answer: one event per frame, a comment as the heartbeat. */
function ssePeer(response: ServerResponse): Peer {
  const write = (text: string): boolean => {
    if (response.writableEnded || response.destroyed) return false;
    response.write(text);
    return true;
  };
  return {
    transport: "sse",
    send: (frame: OutFrame) => write(`event: ${frame.type}\ndata: ${frame.text}\n\n`),
    buffered: () => response.writableLength,
    close(code, reason) {
      write(
        `event: error\ndata: ${JSON.stringify({ type: "error", code: codeName(code), message: reason, close: code })}\n\n`,
      );
      response.end();
    },
    terminate: () => response.destroy(),
    heartbeat() {
      // A dead peer shows as a write error and a close, which the hub is told of.
      write(": ping\n\n");
      return true;
    },
  };
}

/** The `error` event's code for a close code (an SSE stream has no close code of its own). */
function codeName(code: number): string {
  if (code === CLOSE.unauthorized) return "UNAUTHORIZED";
  if (code === CLOSE.slowConsumer) return "SLOW_CONSUMER";
  if (code === CLOSE.goingAway) return "UNAVAILABLE";
  return "CLOSED";
}
