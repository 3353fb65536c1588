import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { z } from "zod";
import type { Revocation } from "../../access/service.js";
import { errorMessage } from "../../core/errors.js";
import type { BusEvent } from "../../core/events.js";
import { NOTIFICATION_KINDS, type Notification } from "../../core/notification.js";

/** The Redis channel every clawops instance on one Redis publishes its realtime traffic to. */
export const RELAY_CHANNEL = "clawops:realtime";

/** What reaches the realtime hub: this instance's traffic, and through a relay the others'. */
export interface RealtimeFeed {
  publish(event: BusEvent): void;
  notify(notification: Notification): void;
  revoke(revoked: Revocation): void;
}

const eventSchema = z.object({
  type: z.string(),
  botId: z.string().nullable(),
  actor: z.string(),
  ts: z.string(),
  data: z.record(z.string(), z.unknown()),
});
const notificationSchema = z.object({
  kind: z.enum(NOTIFICATION_KINDS),
  bot: z.string().nullable(),
  title: z.string(),
  lines: z.array(z.string()),
  detail: z.string().optional(),
  repairId: z.string().optional(),
  dedupeKey: z.string(),
  ts: z.string(),
});
const revokedSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("token"), tokenId: z.string() }),
  z.object({ kind: z.literal("user"), userId: z.string() }),
  z.object({ kind: z.literal("login"), loginHash: z.string() }),
]);
const messageSchema = z.discriminatedUnion("kind", [
  z.object({ from: z.string(), kind: z.literal("event"), event: eventSchema }),
  z.object({ from: z.string(), kind: z.literal("notification"), notification: notificationSchema }),
  z.object({ from: z.string(), kind: z.literal("revoked"), revoked: revokedSchema }),
]);

/**
 * How relay messages travel between instances: Redis pub/sub (here) or
 * PostgreSQL LISTEN/NOTIFY (relay-postgres.ts). `send` rejects while the
 * medium is away; `listen` resolves once listening (or after 2 s of trying:
 * a transport keeps trying by itself).
 */
export interface RelayTransport {
  send(text: string): Promise<void>;
  listen(onText: (text: string) => void): Promise<void>;
  close(): Promise<void>;
}

export interface RelayDeps {
  /** This instance's hub: it gets this instance's traffic and the other instances'. */
  hub: RealtimeFeed;
  transport: RelayTransport;
  log: Logger;
  /** Tells this instance's messages from the others' (a random id by default). */
  instanceId?: string;
}

export interface Relay extends RealtimeFeed {
  /** Stops listening and closes the transport's connection. */
  close(): Promise<void>;
}

/**
 * Carries realtime traffic between the clawops instances that share one
 * Redis or one PostgreSQL: events of each instance's bus, the notifications
 * it tells, the credentials it revoked. Each instance hands its own traffic
 * to its hub at once and sends it; it relays what the others send into its
 * hub, and ignores its own messages coming back (by instance id), so nothing
 * loops. Delivery between instances is fire-and-forget: while the medium is
 * away the other instances miss this one's traffic (logged once per outage),
 * local delivery goes on.
 */
export async function startRelay(deps: RelayDeps): Promise<Relay> {
  const from = deps.instanceId ?? randomUUID();
  let failing = false;

  function receive(text: string): void {
    let parsed: z.infer<typeof messageSchema>;
    try {
      parsed = messageSchema.parse(JSON.parse(text));
    } catch (error) {
      deps.log.warn({ err: errorMessage(error).slice(0, 200) }, "realtime.relay_bad_message");
      return;
    }
    if (parsed.from === from) return;
    if (parsed.kind === "event") deps.hub.publish(parsed.event as BusEvent);
    else if (parsed.kind === "notification") deps.hub.notify(parsed.notification);
    else deps.hub.revoke(parsed.revoked);
  }

  function send(message: Record<string, unknown>): void {
    deps.transport.send(JSON.stringify({ from, ...message })).then(
      () => {
        if (failing) deps.log.info("realtime.relay_available");
        failing = false;
      },
      (error: unknown) => {
        if (!failing) deps.log.warn({ err: errorMessage(error) }, "realtime.relay_unavailable");
        failing = true;
      },
    );
  }

  await deps.transport.listen(receive);
  return {
    publish(event) {
      deps.hub.publish(event);
      send({ kind: "event", event });
    },
    notify(notification) {
      deps.hub.notify(notification);
      send({ kind: "notification", notification });
    },
    revoke(revoked) {
      deps.hub.revoke(revoked);
      send({ kind: "revoked", revoked });
    },
    close: () => deps.transport.close(),
  };
}

/** Redis pub/sub on `channel`: commands through `redis`, the subscription on a connection of its own. */
export function redisTransport(redis: Redis, log: Logger, channel = RELAY_CHANNEL): RelayTransport {
  // A connection in subscriber mode takes no other commands: one of its own, which queues the
  // subscription until Redis answers and makes it again after every reconnect.
  const subscriber = redis.duplicate({ enableOfflineQueue: true, lazyConnect: true });
  subscriber.on("error", () => undefined);
  return {
    send: async (text) => {
      await redis.publish(channel, text);
    },
    async listen(onText) {
      subscriber.on("message", (_channel: string, text: string) => onText(text));
      await subscriber.connect().catch(() => undefined);
      await Promise.race([
        subscriber.subscribe(channel).catch((error: unknown) => {
          log.warn({ err: errorMessage(error) }, "realtime.relay_subscribe_failed");
        }),
        // Not held up by a Redis that is away: the queued subscription is made when it is back.
        new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
      ]);
    },
    async close() {
      subscriber.disconnect();
    },
  };
}
