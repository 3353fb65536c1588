import { z } from "zod";
import { duration } from "../../core/duration.js";
import { errorMessage } from "../../core/errors.js";
import { componentSchema, defineCheck, envName } from "../check.js";
import { shownUrl } from "../redact.js";

const schema = componentSchema(
  "postgres",
  { weight: 2, timeout: "10s" },
  {
    /** `postgres://user@host:port/db`; clawops.yaml's `database.url` when absent. */
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, { error: "expected a postgres:// or postgresql:// URL" })
      .optional(),
    /** The variable holding the password, when the URL has none. */
    passwordEnv: envName.optional(),
    /** `SELECT 1` slower than this is a warning. */
    maxLatency: duration("100ms"),
    /** An older server major version is a warning (PostgreSQL supports a major for 5 years). */
    minVersion: z.number().int().min(9).default(13),
  },
);

/** A PostgreSQL server: it accepts a connection, answers `SELECT 1` quickly, and is a supported version. */
export const postgres = defineCheck({
  id: "postgres",
  title: "PostgreSQL",
  schema,
  target: (config, deps) => shownUrl(config.url ?? deps.config.database.url ?? "(no url)"),
  async run(config, deps, signal) {
    const url = config.url ?? deps.config.database.url;
    if (!url) {
      return {
        status: "fail",
        summary: "no PostgreSQL URL: the component sets no url and clawops.yaml no database.url",
        fix: "set url: postgres://user@host:port/db on the component",
      };
    }
    const { default: pg } = await import("pg");
    const password = config.passwordEnv ? deps.env[config.passwordEnv] : undefined;
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: config.timeout,
      ...(password ? { password } : {}),
    });
    client.on("error", () => undefined);
    const abort = () => void client.end().catch(() => undefined);
    signal.addEventListener("abort", abort, { once: true });
    try {
      const connectStarted = performance.now();
      try {
        await client.connect();
      } catch (error) {
        const why = errorMessage(error);
        return {
          status: "fail",
          summary: `cannot connect to PostgreSQL at ${shownUrl(url)}: ${why}`,
          fix: /password|authentication/i.test(why)
            ? "the credentials are refused: check the user, and the password in passwordEnv (pg_hba.conf decides who may connect)"
            : "is PostgreSQL running and listening there? (pg_isready -d <url>; listen_addresses in postgresql.conf)",
        };
      }
      const connectMs = ms(connectStarted);
      const started = performance.now();
      await client.query("SELECT 1");
      const selectMs = ms(started);
      const row = (await client.query("SHOW server_version")).rows[0] as
        { server_version: string } | undefined;
      const version = row?.server_version.split(" ")[0] ?? "unknown";
      const major = Number.parseInt(version, 10);
      const timings = { connectMs, selectMs };
      if (Number.isFinite(major) && major < config.minVersion) {
        return {
          status: "warn",
          summary: `PostgreSQL ${version} answers, but is older than ${config.minVersion}`,
          evidence: { version },
          fix: `upgrade to a supported major version (pg_upgrade); at least ${config.minVersion}`,
          timings,
        };
      }
      if (selectMs > config.maxLatency) {
        return {
          status: "warn",
          summary: `PostgreSQL ${version} answers SELECT 1 slower than ${config.maxLatency} ms`,
          evidence: { version },
          fix: "look at the server's load and the network between (pg_stat_activity, ping)",
          timings,
        };
      }
      return {
        status: "pass",
        summary: `PostgreSQL ${version} answers SELECT 1 within ${config.maxLatency} ms`,
        evidence: { version },
        timings,
      };
    } catch (error) {
      return {
        status: "fail",
        summary: `PostgreSQL failed a query: ${errorMessage(error)}`,
        fix: "see the server's log",
      };
    } finally {
      signal.removeEventListener("abort", abort);
      await client.end().catch(() => undefined);
    }
  },
});

function ms(since: number): number {
  return Math.round((performance.now() - since) * 10) / 10;
}
