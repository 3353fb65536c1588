import type { Logger } from "pino";
import type { Authenticated, CredentialRef, Revocation } from "../../access/service.js";
import type { Principal } from "../../core/access.js";
import { errorMessage, isOpsError } from "../../core/errors.js";
import type { BusEvent } from "../../core/events.js";
import type { Notification } from "../../core/notification.js";
import type { Metrics } from "../../daemon/metrics.js";
import {
  CLOSE,
  type FrameErrorCode,
  type OutFrame,
  clientFrameSchema,
  connectedFrame,
  errorFrame,
  eventFrame,
  eventJson,
  notificationFrame,
  pongFrame,
  subscribedFrame,
  unsubscribedFrame,
} from "./frames.js";
import { NotificationQueues, type QueuedNotification } from "./offline-queue.js";
import { type BotOrg, type Room, botOfEvent, checkRoom, roomsOf } from "./rooms.js";

/** One connection as the hub drives it: a WebSocket or an SSE stream. */
export interface Peer {
  readonly transport: "ws" | "sse";
  /** Queues one frame; false when the peer is no longer open (it ignores the frame). Never throws. */
  send(frame: OutFrame): boolean;
  /** Bytes accepted for the peer and not yet written to its socket. */
  buffered(): number;
  /** Ends the connection saying why (`CLOSE` codes); idempotent. */
  close(code: number, reason: string): void;
  /** Ends the connection at once, without a closing handshake. */
  terminate(): void;
  /** False when the peer missed the last ping (the hub then terminates it); else sends the next. */
  heartbeat(): boolean;
}

/** How often each connection is pinged; one that missed the last ping is cut. */
export const HEARTBEAT_MS = 15_000;
/** How often the credentials of open connections are checked against the store again. */
export const REVALIDATE_MS = 60_000;

export interface HubLimits {
  /** A peer with more unsent bytes than this is dropped as a slow consumer. */
  maxBufferedBytes: number;
  /** Client messages a connection may send per minute; one more closes it. */
  messagesPerMinute: number;
  /** Rooms one connection may be in at once. */
  roomsPerConnection: number;
  /** Notifications kept per organisation for principals that are not connected. */
  offlineQueue: number;
}

export const DEFAULT_LIMITS: HubLimits = {
  maxBufferedBytes: 256 * 1024,
  messagesPerMinute: 100,
  roomsPerConnection: 100,
  offlineQueue: 100,
};

export interface HubDeps {
  /** A bot's name by its id; null when unknown. */
  botName: (botId: string) => string | null;
  /** A bot's organisation by its name; null for a bot that does not exist. */
  botOrg: BotOrg;
  /** The organisation of events and notifications that concern no bot. */
  fleetOrg: string;
  /** Whether a credential still holds (AccessService `stillValid`). */
  stillValid: (credential: CredentialRef) => Promise<boolean>;
  log: Logger;
  metrics: Pick<Metrics, "realtimeConnections" | "realtimeClosed" | "realtimeFrames">;
  limits?: Partial<HubLimits>;
  /** Epoch ms. */
  now?: () => number;
}

/** One open connection: who, with which credential, in which rooms. */
export class Connection {
  readonly rooms = new Set<string>();
  /** Epoch ms of the current rate window's start, and the messages counted in it. */
  windowStart = 0;
  messages = 0;

  constructor(
    readonly peer: Peer,
    readonly principal: Principal,
    readonly credential: CredentialRef,
    /** Epoch ms when the credential expires by itself; null never. */
    readonly expiresAtMs: number | null,
  ) {}
}

/**
 * Rooms, subscriptions and the offline queue of the realtime API, whatever
 * the transport. Events and notifications are encoded once per room and
 * handed to each member; a member that does not keep up is dropped, so
 * memory is bounded by the limits whatever the clients do.
 */
export class RealtimeHub {
  private readonly connections = new Set<Connection>();
  private readonly rooms = new Map<string, Set<Connection>>();
  /** The notification rooms with members, by the members' organisation. */
  private readonly notified = new Map<string, Set<string>>();
  private readonly queues: NotificationQueues;
  private readonly limits: HubLimits;
  private readonly now: () => number;
  private revalidating: Promise<void> | null = null;

  constructor(private readonly deps: HubDeps) {
    this.limits = { ...DEFAULT_LIMITS, ...deps.limits };
    this.queues = new NotificationQueues(this.limits.offlineQueue);
    this.now = deps.now ?? Date.now;
  }

  /** Opens a connection for an authenticated caller and says `connected`. */
  connect(peer: Peer, auth: Authenticated): Connection {
    const expiresAtMs = auth.expiresAt === null ? null : Date.parse(auth.expiresAt);
    const connection = new Connection(peer, auth.principal, auth.credential, expiresAtMs);
    this.connections.add(connection);
    this.deps.metrics.realtimeConnections.inc({ transport: peer.transport });
    peer.send(connectedFrame(auth.principal));
    return connection;
  }

  /** Forgets a connection that closed (from either side); idempotent. */
  disconnect(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    for (const name of connection.rooms) this.removeMember(connection, name);
    connection.rooms.clear();
    this.deps.metrics.realtimeConnections.dec({ transport: connection.peer.transport });
  }

  /** The room `name` when `principal` may join it; throws an `OpsError` otherwise (rooms.ts). */
  checkRoom(principal: Principal, name: string): Room {
    return checkRoom(principal, name, this.deps.botOrg);
  }

  /** A client's message (text): subscribe, unsubscribe or ping; anything else is an `error` frame. */
  receive(connection: Connection, text: string): void {
    // A closing socket still hands over what it had received: it is not acted on.
    if (!this.connections.has(connection)) return;
    const now = this.now();
    if (now - connection.windowStart >= 60_000) {
      connection.windowStart = now;
      connection.messages = 0;
    }
    connection.messages += 1;
    if (connection.messages > this.limits.messagesPerMinute) {
      const message = `more than ${this.limits.messagesPerMinute} messages in a minute`;
      connection.peer.send(errorFrame("RATE_LIMITED", message));
      this.end(connection, CLOSE.rateLimited, "rate limited", "rate");
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      connection.peer.send(errorFrame("BAD_REQUEST", "a message must be a JSON object"));
      return;
    }
    const frame = clientFrameSchema.safeParse(parsed);
    if (!frame.success) {
      const message = `expected {type:"subscribe"|"unsubscribe", room} or {type:"ping"}`;
      connection.peer.send(errorFrame("VALIDATION", message));
      return;
    }
    if (frame.data.type === "ping") connection.peer.send(pongFrame());
    else if (frame.data.type === "subscribe") this.join(connection, frame.data.room);
    else this.leave(connection, frame.data.room);
  }

  /**
   * Adds a connection to a room it may join, says `subscribed`, and for its
   * own notifications room gives it what it has not been given yet; says
   * `error` (and joins nothing) otherwise.
   */
  join(connection: Connection, name: string): boolean {
    if (!this.connections.has(connection)) return false;
    if (connection.rooms.has(name)) {
      connection.peer.send(subscribedFrame(name));
      return true;
    }
    if (connection.rooms.size >= this.limits.roomsPerConnection) {
      const message = `at most ${this.limits.roomsPerConnection} rooms per connection`;
      connection.peer.send(errorFrame("VALIDATION", message, name));
      return false;
    }
    let room: Room;
    try {
      room = this.checkRoom(connection.principal, name);
    } catch (error) {
      const code = isOpsError(error) ? (error.code as FrameErrorCode) : "UNAVAILABLE";
      connection.peer.send(errorFrame(code, errorMessage(error), name));
      return false;
    }
    connection.rooms.add(name);
    let members = this.rooms.get(name);
    if (!members) this.rooms.set(name, (members = new Set()));
    members.add(connection);
    connection.peer.send(subscribedFrame(name));
    if (room.kind === "notifications") {
      const org = connection.principal.org;
      let names = this.notified.get(org);
      if (!names) this.notified.set(org, (names = new Set()));
      names.add(name);
      for (const queued of this.queues.take(room.principalId, org))
        this.deliver(connection, notificationFrame(name, queued.seq, queued.notification));
    }
    return true;
  }

  /** Takes a connection out of a room and says `unsubscribed` (also when it was not in it). */
  leave(connection: Connection, name: string): void {
    if (connection.rooms.delete(name)) this.removeMember(connection, name);
    connection.peer.send(unsubscribedFrame(name));
  }

  /** Fans an event of the bus out to its rooms' members. */
  publish(event: BusEvent): void {
    if (this.rooms.size === 0) return;
    const bot = botOfEvent(event, this.deps.botName);
    const org =
      bot !== null ? this.deps.botOrg(bot) : event.botId === null ? this.deps.fleetOrg : null;
    let json: string | null = null;
    let sent = 0;
    for (const name of roomsOf(event, bot, org)) {
      const members = this.rooms.get(name);
      if (!members) continue;
      const frame = eventFrame(name, (json ??= eventJson(event)));
      for (const connection of members) this.deliver(connection, frame);
      sent += members.size;
    }
    if (sent > 0) this.deps.metrics.realtimeFrames.inc(sent);
  }

  /**
   * The organisation's latest notifications (at most the offline queue's
   * size), newest first: the dashboard's list after a reload. In memory:
   * a restart of the daemon starts it empty.
   */
  recentNotifications(org: string, limit?: number): QueuedNotification[] {
    return this.queues.recent(org, limit);
  }

  /**
   * Queues a notification for its organisation (its bot's, else the fleet's)
   * and gives it at once to that organisation's connected principals who
   * are in their notifications room.
   */
  notify(notification: Notification): void {
    const org =
      (notification.bot === null ? null : this.deps.botOrg(notification.bot)) ?? this.deps.fleetOrg;
    const queued = this.queues.add(org, notification);
    let sent = 0;
    for (const name of this.notified.get(org) ?? []) {
      const members = this.rooms.get(name);
      if (!members || members.size === 0) continue;
      const frame = notificationFrame(name, queued.seq, notification);
      for (const connection of members) {
        // Counted as given only when it reached an open socket: one closing now gets it again.
        if (this.deliver(connection, frame)) this.queues.given(connection.principal.id, queued.seq);
      }
      sent += members.size;
    }
    if (sent > 0) this.deps.metrics.realtimeFrames.inc(sent);
  }

  /**
   * Closes the connections of a revoked credential at once (4401). A removed
   * user's tokens were revoked with them: token connections are checked again.
   */
  revoke(revoked: Revocation): void {
    for (const connection of this.connections) {
      const { credential, principal } = connection;
      const match =
        revoked.kind === "token"
          ? credential.kind === "token" && credential.tokenId === revoked.tokenId
          : revoked.kind === "login"
            ? credential.kind === "login" && credential.loginHash === revoked.loginHash
            : principal.kind === "user" && principal.id === revoked.userId;
      if (match) this.end(connection, CLOSE.unauthorized, "credential revoked", "revoked");
    }
    if (revoked.kind === "user") void this.revalidate();
  }

  /**
   * Checks every distinct credential of the open connections against the
   * store, closing those that no longer hold (4401): revocations made
   * outside this process (the CLI writes the store directly). A store that
   * does not answer keeps the connections open (logged).
   */
  revalidate(): Promise<void> {
    return (this.revalidating ??= this.checkCredentials().finally(() => {
      this.revalidating = null;
    }));
  }

  /**
   * One heartbeat (every 15 s): ends connections whose credential expired
   * (4401), terminates those that missed the last ping, pings the rest.
   */
  heartbeat(): void {
    const now = this.now();
    for (const connection of this.connections) {
      if (connection.expiresAtMs !== null && connection.expiresAtMs <= now) {
        this.end(connection, CLOSE.unauthorized, "credential expired", "expired");
      } else if (!connection.peer.heartbeat()) {
        connection.peer.terminate();
        this.disconnect(connection);
        this.deps.metrics.realtimeClosed.inc({ reason: "dead" });
      }
    }
  }

  /** Closes every connection (1001): the daemon is stopping. */
  close(): void {
    for (const connection of this.connections)
      this.end(connection, CLOSE.goingAway, "daemon stopping", "shutdown");
  }

  /** Open connections and rooms with members. */
  stats(): { connections: number; rooms: number } {
    return { connections: this.connections.size, rooms: this.rooms.size };
  }

  private async checkCredentials(): Promise<void> {
    const byCredential = new Map<string, Connection[]>();
    for (const connection of this.connections) {
      const { credential } = connection;
      const key =
        credential.kind === "token" ? `t:${credential.tokenId}` : `l:${credential.loginHash}`;
      const list = byCredential.get(key);
      if (list) list.push(connection);
      else byCredential.set(key, [connection]);
    }
    for (const connections of byCredential.values()) {
      let valid: boolean;
      try {
        valid = await this.deps.stillValid(connections[0]!.credential);
      } catch (error) {
        this.deps.log.warn({ err: errorMessage(error) }, "realtime.revalidate_failed");
        return;
      }
      if (valid) continue;
      for (const connection of connections)
        this.end(connection, CLOSE.unauthorized, "credential revoked", "revoked");
    }
  }

  /** Sends a frame, or drops the connection when it has too much unsent already; true when sent. */
  private deliver(connection: Connection, frame: OutFrame): boolean {
    if (connection.peer.buffered() > this.limits.maxBufferedBytes) {
      this.deps.log.warn(
        { principal: connection.principal.name, transport: connection.peer.transport },
        "realtime.slow_consumer",
      );
      this.end(connection, CLOSE.slowConsumer, "slow consumer", "slow");
      return false;
    }
    return connection.peer.send(frame);
  }

  private end(connection: Connection, code: number, reason: string, metric: string): void {
    if (!this.connections.has(connection)) return;
    connection.peer.close(code, reason);
    this.disconnect(connection);
    this.deps.metrics.realtimeClosed.inc({ reason: metric });
  }

  private removeMember(connection: Connection, name: string): void {
    const members = this.rooms.get(name);
    if (!members) return;
    members.delete(connection);
    if (members.size > 0) return;
    this.rooms.delete(name);
    const names = this.notified.get(connection.principal.org);
    if (names?.delete(name) && names.size === 0) this.notified.delete(connection.principal.org);
  }
}
