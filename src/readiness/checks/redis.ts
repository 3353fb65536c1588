import { Redis } from "ioredis";
import { z } from "zod";
import { errorMessage } from "../../core/errors.js";
import { componentSchema, defineCheck, envName } from "../check.js";
import { shownUrl } from "../redact.js";

const schema = componentSchema(
  "redis",
  { weight: 1, timeout: "5s" },
  {
    /** `redis://host:port[/db]`; clawops.yaml's `redis.url` when absent. */
    url: z
      .string()
      .regex(/^rediss?:\/\//, { error: "expected a redis:// or rediss:// URL" })
      .optional(),
    /** The variable holding Redis's password (`requirepass`), when the URL has none. */
    passwordEnv: envName.optional(),
    /** Whether data must survive a restart: with it, no persistence is a warning. */
    requirePersistence: z.boolean().default(true),
  },
);

/** Redis answers PING, and keeps its data over a restart (AOF or RDB snapshots). */
export const redis = defineCheck({
  id: "redis",
  title: "Redis",
  schema,
  target: (config, deps) => shownUrl(config.url ?? deps.config.redis.url ?? "(no url)"),
  async run(config, deps, signal) {
    const url = config.url ?? deps.config.redis.url;
    if (!url) {
      return {
        status: "fail",
        summary: "no Redis URL: the component sets no url and clawops.yaml no redis.url",
        fix: "set url: redis://host:port on the component",
      };
    }
    const password = config.passwordEnv ? deps.env[config.passwordEnv] : undefined;
    const client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: config.timeout,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      ...(password ? { password } : {}),
    });
    let lastError: Error | null = null;
    // ioredis reports a refused connection here; a command's rejection only says "Connection is closed".
    client.on("error", (error: Error) => (lastError = error));
    const abort = () => client.disconnect();
    signal.addEventListener("abort", abort, { once: true });
    try {
      const started = performance.now();
      try {
        await client.connect();
        await client.ping();
      } catch (error) {
        const why =
          lastError && lastError !== error
            ? `${errorMessage(error)} (${errorMessage(lastError)})`
            : errorMessage(error);
        return {
          status: "fail",
          summary: `Redis does not answer PING: ${why}`,
          fix: /NOAUTH|WRONGPASS|auth/i.test(why)
            ? "Redis wants a password: put it in an environment variable and name it in passwordEnv"
            : "is redis-server running and reachable at the URL? (redis-cli -u <url> ping)",
        };
      }
      const pingMs = Math.round((performance.now() - started) * 10) / 10;
      const info = await client.info("server");
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
      let aof: string;
      let save: string;
      try {
        aof = (await client.config("GET", "appendonly"))[1] ?? "";
        save = (await client.config("GET", "save"))[1] ?? "";
      } catch (error) {
        return {
          status: "warn",
          summary: `Redis ${version} answers; its persistence cannot be read (${errorMessage(error)})`,
          evidence: { version },
          fix: "check by hand that appendonly or save is on (managed Redis often disables CONFIG)",
          timings: { pingMs },
        };
      }
      const persistent = aof === "yes" || save.trim() !== "";
      const evidence = { version, appendonly: aof, save: save.trim() || "off" };
      if (!persistent && config.requirePersistence) {
        return {
          status: "warn",
          summary: `Redis ${version} answers, but keeps nothing over a restart (appendonly no, save "")`,
          evidence,
          fix: 'turn on persistence: appendonly yes in redis.conf (or CONFIG SET appendonly yes, then CONFIG REWRITE); or save "3600 1 300 100 60 10000"',
          timings: { pingMs },
        };
      }
      return {
        status: "pass",
        summary: `Redis ${version} answers PING; persistence: ${[aof === "yes" ? "AOF" : "", save.trim() ? "RDB snapshots" : ""].filter(Boolean).join(" and ") || "off (not required)"}`,
        evidence,
        timings: { pingMs },
      };
    } finally {
      signal.removeEventListener("abort", abort);
      client.disconnect();
    }
  },
});
