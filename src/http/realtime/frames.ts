import { z } from "zod";
import type { Principal } from "../../core/access.js";
import type { BusEvent } from "../../core/events.js";
import type { Notification } from "../../core/notification.js";

/**
 * The realtime protocol's frames (docs/realtime.md): JSON text, one object a
 * message. What a client sends is checked against these schemas; what the
 * server sends is built by the functions below, so both sides of the
 * protocol are written in one place.
 */

/** A room's name: at most this many characters. */
const ROOM_MAX = 200;
const room = z.string().min(1).max(ROOM_MAX);

/** What a client may send. Anything else is answered with an `error` frame. */
export const clientFrameSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("subscribe"), room }),
  z.strictObject({ type: z.literal("unsubscribe"), room }),
  z.strictObject({ type: z.literal("ping") }),
]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;

/** The error codes an `error` frame carries (the same names as the HTTP API's). */
export type FrameErrorCode =
  | "BAD_REQUEST"
  | "VALIDATION"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "RATE_LIMITED"
  | "UNAUTHORIZED"
  | "UNAVAILABLE";

/**
 * Close codes (RFC 6455 section 7.4; 4000-4999 are the application's). An
 * SSE stream ends after an `error` event with the same code instead.
 */
export const CLOSE = {
  /** The daemon is stopping. */
  goingAway: 1001,
  /** A message over the payload limit (64 KiB); `ws` closes with it by itself. */
  tooBig: 1009,
  /** The client reads too slowly: its unsent frames passed the buffer limit. */
  slowConsumer: 1013,
  /** The credential was revoked, expired, logged out, or its user removed. */
  unauthorized: 4401,
  /** More client messages than the rate limit allows (100 a minute). */
  rateLimited: 4429,
} as const;

/**
 * A frame encoded once and sent to many: the JSON text, and its UTF-8 bytes
 * made on first use (a fan-out to 10k sockets converts it once, not 10k times).
 */
export class OutFrame {
  private bytes: Buffer | null = null;
  private wsBytes: Buffer | null = null;

  constructor(
    /** The frame's `type`: the SSE event's name. */
    readonly type: string,
    readonly text: string,
  ) {}

  get buffer(): Buffer {
    return (this.bytes ??= Buffer.from(this.text));
  }

  /**
   * The whole WebSocket message as a server sends it (RFC 6455 5.2: one
   * final text frame, unmasked, no extension), so that a fan-out writes the
   * same bytes to each socket instead of framing the message once per socket.
   */
  get wsFrame(): Buffer {
    if (this.wsBytes) return this.wsBytes;
    const payload = this.buffer;
    const length = payload.length;
    const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(headerLength + length);
    frame[0] = 0x81; // FIN + text
    if (length < 126) frame[1] = length;
    else if (length < 65_536) {
      frame[1] = 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 127;
      frame.writeBigUInt64BE(BigInt(length), 2);
    }
    payload.copy(frame, headerLength);
    return (this.wsBytes = frame);
  }
}

/** What `connected` says about the caller (never a secret). */
export function connectedFrame(principal: Principal): OutFrame {
  return frame("connected", {
    user: { kind: principal.kind, id: principal.id, name: principal.name },
    org: principal.org,
    role: principal.role,
    notifications: notificationsRoom(principal.id),
  });
}

export function subscribedFrame(name: string): OutFrame {
  return frame("subscribed", { room: name });
}

export function unsubscribedFrame(name: string): OutFrame {
  return frame("unsubscribed", { room: name });
}

export function pongFrame(): OutFrame {
  return frame("pong", {});
}

export function errorFrame(code: FrameErrorCode, message: string, about?: string): OutFrame {
  return frame("error", { code, message, ...(about === undefined ? {} : { room: about }) });
}

/**
 * An event of the bus for one room. The event's JSON is made once by the
 * caller (`eventJson`) and spliced into each room's frame.
 */
export function eventFrame(name: string, eventJson: string): OutFrame {
  return new OutFrame(
    "event",
    `{"type":"event","room":${JSON.stringify(name)},"event":${eventJson}}`,
  );
}

/** The event as the frame carries it: the bus's event, as published. */
export function eventJson(event: BusEvent): string {
  return JSON.stringify(event);
}

/** A notification for one principal's room; `seq` orders them within the daemon's run. */
export function notificationFrame(name: string, seq: number, notification: Notification): OutFrame {
  const { dedupeKey: _key, ...shown } = notification;
  return frame("notification", { room: name, seq, notification: shown });
}

/** The room of one principal's notifications. */
export function notificationsRoom(principalId: string): string {
  return `user:${principalId}:notifications`;
}

function frame(type: string, fields: Record<string, unknown>): OutFrame {
  return new OutFrame(type, JSON.stringify({ type, ...fields }));
}
