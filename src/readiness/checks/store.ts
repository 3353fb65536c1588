import { duration } from "../../core/duration.js";
import { errorMessage } from "../../core/errors.js";
import { componentSchema, defineCheck } from "../check.js";

const schema = componentSchema(
  "store",
  { weight: 3, timeout: "10s" },
  {
    /** A ping slower than this is a warning: every API call and loop waits on the store. */
    maxLatency: duration("200ms"),
  },
);

/** clawops's own store (SQLite or PostgreSQL): it answers a ping, quickly. Built in. */
export const store = defineCheck({
  id: "store",
  title: "clawops store",
  schema,
  target: (_config, deps) =>
    deps.config.database.url ? "clawops.yaml database.url" : "embedded SQLite",
  async run(config, deps) {
    if (!deps.store) {
      return {
        status: "fail",
        summary: "the store could not be opened",
        fix: "clawops status names the reason; check database.url and that the database is up",
      };
    }
    const started = performance.now();
    try {
      await deps.store.ping(config.timeout);
    } catch (error) {
      return {
        status: "fail",
        summary: `the ${deps.store.dialect} store does not answer: ${errorMessage(error)}`,
        evidence: { dialect: deps.store.dialect, location: deps.store.location },
        fix:
          deps.store.dialect === "postgres"
            ? "is PostgreSQL up and reachable at database.url? (pg_isready -d <url>)"
            : "is the SQLite file's disk full or read-only? (df -h; ls -l the file)",
      };
    }
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const slow = latencyMs > config.maxLatency;
    return {
      status: slow ? "warn" : "pass",
      summary: slow
        ? `the ${deps.store.dialect} store answers, slower than ${config.maxLatency} ms`
        : `the ${deps.store.dialect} store answers within ${config.maxLatency} ms`,
      evidence: { dialect: deps.store.dialect, location: deps.store.location },
      ...(slow
        ? {
            fix: "a slow store slows every API call: look at the database host's load and disk (for SQLite, a local disk, not a network share)",
          }
        : {}),
      timings: { pingMs: latencyMs },
    };
  },
});
