import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakePeer, testHub } from "../../../test/helpers/realtime.js";
import { serviceUrl } from "../../../test/helpers/services.js";
import { CLOSE } from "./frames.js";
import type { RealtimeHub } from "./hub.js";
import { postgresTransport } from "./relay-postgres.js";
import { type Relay, type RelayTransport, redisTransport, startRelay } from "./relay.js";

const redisUrl = serviceUrl("CLAWOPS_TEST_REDIS_URL", "Redis");
const pgUrl = serviceUrl("CLAWOPS_TEST_DATABASE_URL", "PostgreSQL");
const log = pino({ level: "silent" });

/** Waits until `check` holds, up to 5 s. */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Two transports joined on one medium, and what closes what the test opened. */
interface Medium {
  name: string;
  url: string | undefined;
  open(): Promise<{ transports: RelayTransport[]; close(): Promise<void> }>;
}

const MEDIA: Medium[] = [
  {
    name: "a real Redis (pub/sub)",
    url: redisUrl,
    async open() {
      const channel = `clawops:realtime:test:${randomUUID()}`;
      const clients: Redis[] = [];
      for (let i = 0; i < 2; i += 1) {
        const redis = new Redis(redisUrl!, {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          lazyConnect: true,
        });
        await redis.connect();
        clients.push(redis);
      }
      return {
        transports: clients.map((redis) => redisTransport(redis, log, channel)),
        close: async () => {
          for (const client of clients) client.disconnect();
        },
      };
    },
  },
  {
    name: "a real PostgreSQL (LISTEN/NOTIFY)",
    url: pgUrl,
    async open() {
      const channel = `clawops_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
      const transports = [
        await postgresTransport(pgUrl!, log, channel),
        await postgresTransport(pgUrl!, log, channel),
      ];
      return { transports, close: async () => undefined };
    },
  },
];

describe.each(MEDIA.filter((m) => m.url))(
  "realtime across two instances through $name",
  (medium) => {
    const instances: { hub: RealtimeHub; relay: Relay }[] = [];
    let opened: Awaited<ReturnType<Medium["open"]>>;

    beforeAll(async () => {
      opened = await medium.open();
      for (const transport of opened.transports) {
        const { realtime: hub } = testHub();
        const relay = await startRelay({ hub, transport, log });
        instances.push({ hub, relay });
      }
    });
    afterAll(async () => {
      for (const { hub, relay } of instances) {
        hub.close();
        await relay.close();
      }
      await opened.close();
    });

    const principal = {
      kind: "user" as const,
      id: "id-vera",
      name: "vera",
      org: "default",
      role: "viewer" as const,
    };
    const auth = (tokenId: string) => ({
      principal,
      credential: { kind: "token" as const, tokenId },
      expiresAt: null,
    });

    it("delivers one instance's events and notifications on the other's sockets, once each", async () => {
      const [one, two] = instances as [(typeof instances)[0], (typeof instances)[0]];
      const [here, there] = [new FakePeer(), new FakePeer()];
      for (const [instance, peer] of [
        [one, here],
        [two, there],
      ] as const) {
        const connection = instance.hub.connect(peer, auth(`t-${randomUUID()}`));
        instance.hub.join(connection, "bot:alpha");
        instance.hub.join(connection, "user:id-vera:notifications");
      }
      one.relay.publish({
        type: "gateway.warning",
        botId: "id-alpha",
        actor: "supervisor",
        ts: new Date().toISOString(),
        data: { check: "rss", message: "big" },
      });
      one.relay.notify({
        kind: "down",
        bot: "alpha",
        title: "alpha is down",
        lines: [],
        dedupeKey: "down:alpha",
        ts: new Date().toISOString(),
      });
      await until(() => there.of("event").length === 1 && there.of("notification").length === 1);
      expect(there.of("event")[0]).toMatchObject({
        room: "bot:alpha",
        event: { type: "gateway.warning" },
      });
      expect(there.of("notification")[0]).toMatchObject({
        notification: { title: "alpha is down" },
      });
      // The instance that published delivered at once, and its own message coming back is ignored.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(here.of("event")).toHaveLength(1);
      expect(here.of("notification")).toHaveLength(1);
      expect(there.of("event")).toHaveLength(1);
    });

    it("closes the other instance's sockets of a revoked token", async () => {
      const [one, two] = instances as [(typeof instances)[0], (typeof instances)[0]];
      const peer = new FakePeer();
      two.hub.connect(peer, auth("revoked-elsewhere"));
      one.relay.revoke({ kind: "token", tokenId: "revoked-elsewhere" });
      await until(() => peer.closed !== null);
      expect(peer.closed?.code).toBe(CLOSE.unauthorized);
    });
  },
);
