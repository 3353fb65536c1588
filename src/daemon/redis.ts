import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { RealtimeHub } from "../http/realtime/hub.js";
import { postgresTransport } from "../http/realtime/relay-postgres.js";
import { type Relay, redisTransport, startRelay } from "../http/realtime/relay.js";

/**
 * The shared Redis: commands fail at once while it is away (no offline
 * queue), so that a rate limit is skipped rather than a request stalled; it
 * reconnects by itself. Its failures are logged once per outage.
 */
export async function connectRedis(url: string, log: Logger): Promise<Redis> {
  // ioredis (~2 MB of heap) is loaded only by a daemon that has a Redis to talk to.
  const { Redis } = await import("ioredis");
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  let down = false;
  redis.on("error", (error: Error) => {
    if (!down) log.warn({ err: error.message }, "redis.unavailable");
    down = true;
  });
  redis.on("ready", () => {
    if (down) log.info("redis.available");
    down = false;
  });
  await redis.connect().catch(() => undefined);
  return redis;
}

/**
 * What carries realtime traffic to the other clawops instances: Redis when
 * there is one, else the PostgreSQL they share; null on an embedded SQLite
 * store, which no other instance uses.
 */
export async function startInstanceRelay(deps: {
  redis: Redis | null;
  databaseUrl: string | undefined;
  hub: RealtimeHub;
  log: Logger;
}): Promise<Relay | null> {
  const log = deps.log.child({ part: "realtime" });
  const transport = deps.redis
    ? redisTransport(deps.redis, log)
    : deps.databaseUrl
      ? await postgresTransport(deps.databaseUrl, log)
      : null;
  return transport ? startRelay({ hub: deps.hub, transport, log }) : null;
}
