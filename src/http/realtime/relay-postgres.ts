import type pg from "pg";
import type { Logger } from "pino";
import { errorMessage } from "../../core/errors.js";
import type { RelayTransport } from "./relay.js";

/** The LISTEN/NOTIFY channel of the instances that share one PostgreSQL (lower case: it is an identifier). */
export const PG_RELAY_CHANNEL = "clawops_realtime";
/** NOTIFY refuses payloads of 8,000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_999;
const RECONNECT_MS = 2_000;

/**
 * PostgreSQL LISTEN/NOTIFY as a relay transport, for instances that share
 * the store and no Redis. One connection of its own (LISTEN holds it), made
 * again 2 s after it is lost. A message over NOTIFY's 8,000-byte limit (a
 * long transcript message) is not relayed: it is counted and logged once,
 * and local delivery is unaffected; use Redis to relay transcripts whole.
 */
export async function postgresTransport(
  url: string,
  log: Logger,
  channel = PG_RELAY_CHANNEL,
): Promise<RelayTransport> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`bad channel name "${channel}"`);
  const { default: pgLib } = await import("pg");
  let client: pg.Client | null = null;
  let closed = false;
  let down = false;
  let tooLarge = 0;
  let onText: (text: string) => void = () => undefined;

  const connect = async (): Promise<void> => {
    const next = new pgLib.Client({ connectionString: url });
    const lost = (error?: Error) => {
      if (client === next) client = null;
      if (closed) return;
      if (!down)
        log.warn({ err: error ? errorMessage(error) : "closed" }, "realtime.relay_unavailable");
      down = true;
      setTimeout(() => void connect().catch(() => undefined), RECONNECT_MS).unref();
    };
    next.on("error", lost);
    next.on("end", () => lost());
    next.on("notification", (message) => {
      if (message.channel === channel && message.payload) onText(message.payload);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
    } catch (error) {
      next.removeAllListeners("end");
      await next.end().catch(() => undefined);
      lost(error as Error);
      return;
    }
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    if (down) log.info("realtime.relay_available");
    down = false;
    client = next;
  };

  return {
    async send(text) {
      if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
        tooLarge += 1;
        if (tooLarge === 1 || tooLarge % 1000 === 0)
          log.warn(
            { tooLarge, bytes: Buffer.byteLength(text) },
            "realtime.relay_message_too_large",
          );
        return;
      }
      if (!client) throw new Error("PostgreSQL relay connection is down");
      await client.query("select pg_notify($1, $2)", [channel, text]);
    },
    async listen(listener) {
      onText = listener;
      await Promise.race([connect(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    },
    async close() {
      closed = true;
      await client?.end().catch(() => undefined);
      client = null;
    },
  };
}
