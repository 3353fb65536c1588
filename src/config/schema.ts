import { z } from "zod";
import { approvalsConfigSchema } from "../approvals/policy.js";
import { backupsConfigSchema } from "../backup/settings.js";
import { statusPagesConfigSchema } from "../fleet/status-page.js";
import { budgetsConfigSchema } from "../budget/settings.js";
import { ingestConfigSchema } from "../ingest/settings.js";
import { duration } from "../core/duration.js";
import { checksConfigSchema } from "../checks/index.js";
import { botInputSchema, portSchema } from "../core/bot.js";
import { notifyConfigSchema } from "../notifiers/index.js";
import { readinessConfigSchema } from "../readiness/index.js";
import { repairConfigSchema } from "../repair/settings.js";
import { vaultConfigSchema } from "../vault/settings.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const databaseSchema = z
  .strictObject({
    /** `postgres://...` selects PostgreSQL; absent selects embedded SQLite. */
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, { error: "expected a postgres:// or postgresql:// URL" })
      .optional(),
    /** SQLite file; default `<dataDir>/clawops.db`. */
    sqlitePath: z.string().min(1).optional(),
    /** How long to wait for the database at start before giving up. */
    connectTimeout: duration("5s"),
  })
  .default({ connectTimeout: 5_000 });

const httpSchema = z
  .strictObject({
    host: z.string().min(1).default("127.0.0.1"),
    port: portSchema.default(7878),
    /**
     * Names the API answers to besides localhost, loopback addresses and the
     * bound address (`clawops.example.com`, `*.example.com`): any other `Host`
     * is refused, against DNS rebinding (docs/security.md).
     */
    allowedHosts: z
      .array(
        z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/, {
          error: "expected a host name, *.domain, an IPv4 address or [IPv6]",
        }),
      )
      .default([]),
    /**
     * Serve a non-loopback address over plain HTTP anyway: tokens, passwords
     * and cookies then cross the network in clear. Refused at start unless
     * true, and reported by /readyz while it is (docs/security.md).
     */
    insecure: z.boolean().default(false),
    /**
     * Answer `/metrics` without credentials. Off by default: its series name
     * every organisation's bots with their restarts, memory and cost, so a
     * scrape needs a token (any role), and sees only its organisation's bots
     * (docs/access.md "Metrics"). Turn on only where nobody but the host's own
     * Prometheus can reach the port.
     */
    publicMetrics: z.boolean().default(false),
    /** Web origins allowed to call the API from a browser (`https://ops.example.com`); none by default. */
    corsOrigins: z
      .array(
        z
          .string()
          .regex(/^https?:\/\/[^/\s]+$/, { error: "expected an origin: scheme://host[:port]" }),
      )
      .default([]),
    /**
     * Folders whose files and folders a bot registered over the API may use as
     * its state dir and config; default `<dataDir>/bots`. clawops.yaml and the
     * local CLI are not limited by it.
     */
    allowedRoots: z.array(z.string().min(1)).min(1).optional(),
    /**
     * Serve HTTPS with this certificate (PEM, the chain after it) and key
     * (PEM, unencrypted); relative to clawops.yaml. Checked at start. With it
     * the API may listen beyond loopback without `insecure` (docs/security.md).
     * `ca`: what the CLI trusts besides the system's CAs and the certificate
     * itself (for a certificate from a private CA).
     */
    tls: z
      .strictObject({
        cert: z.string().min(1),
        key: z.string().min(1),
        ca: z.string().min(1).optional(),
      })
      .optional(),
  })
  .prefault({});

const logSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default("info"),
  })
  .default({ level: "info" });

const daemonSchema = z
  .strictObject({
    /** Budget for a clean shutdown before clawops exits anyway. */
    shutdownTimeout: duration("15s"),
    /** How often the daemon checks its own parts for /readyz. */
    selfCheckPeriod: duration("5s"),
  })
  .default({ shutdownTimeout: 15_000, selfCheckPeriod: 5_000 });

const fleetSchema = z
  .strictObject({
    /** First port given to a new bot without an explicit port. */
    portBase: portSchema.default(18789),
    /** Distance between bots' ports: the gateway derives further ports from its base port. */
    portSpacing: z.number().int().min(20, { error: "expected at least 20" }).max(1000).default(20),
    /** Bots declared in config; registered (or updated) in the registry at start. */
    bots: z.array(botInputSchema).default([]),
  })
  .default({ portBase: 18789, portSpacing: 20, bots: [] })
  .superRefine((fleet, ctx) => {
    const seenName = new Map<string, number>();
    const seenPort = new Map<number, number>();
    fleet.bots.forEach((bot, index) => {
      const firstByName = seenName.get(bot.name);
      if (firstByName !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["bots", index, "name"],
          message: `duplicate bot name "${bot.name}" (also fleet.bots[${firstByName}])`,
        });
      } else seenName.set(bot.name, index);
      if (bot.port === undefined) return;
      const firstByPort = seenPort.get(bot.port);
      if (firstByPort !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["bots", index, "port"],
          message: `port ${bot.port} is also used by fleet.bots[${firstByPort}]`,
        });
      } else seenPort.set(bot.port, index);
    });
  });

const openclawSchema = z
  .strictObject({
    /** The openclaw CLI: its `openclaw.mjs`, or a command on PATH; default: PATH, then node_modules. */
    bin: z.string().min(1).optional(),
    /** The Node that runs it (openclaw needs >= 24.16 < 25 or >= 26.1); default: the first suitable one found. */
    node: z.string().min(1).optional(),
    /** Budget for one CLI call; the process group is killed after it. */
    timeout: duration("60s"),
  })
  .default({ timeout: 60_000 });

const supervisorSchema = z
  .strictObject({
    /** When clawops stops: stop the gateways it runs, or leave them running (re-adopted at next start). */
    onExit: z.enum(["stop", "keep"]).default("stop"),
    /** Spawn to /healthz 200 from the new process; longer counts as a failed start. */
    startTimeout: duration("120s"),
    /** Live to /readyz 200: `starting` until then; not ready by then is `degraded` (never a restart). */
    readyTimeout: duration("60s"),
    /** SIGTERM to SIGKILL: the gateway's drain budget when stopping. */
    stopTimeout: duration("30s"),
    /**
     * A planned restart (operator, repair of a live gateway) first waits this
     * long at most for chat turns in flight to finish; a crash or hang never waits.
     */
    drainTimeout: duration("60s"),
    /** Run the doctor's quick rules before every start; an error finding refuses the start. */
    doctorBeforeStart: z.boolean().default(true),
    restart: z
      .strictObject({
        initialDelay: duration("1s"),
        maxDelay: duration("60s"),
        /** Running healthy this long resets the backoff. */
        resetAfter: duration("10m"),
        /** This many failures within crashLoopWindow is a crash loop: no more restarts. */
        crashLoopFailures: z.number().int().min(1).max(1000).default(10),
        crashLoopWindow: duration("10m"),
      })
      .prefault({}),
    checks: checksConfigSchema,
    /** The per-bot gateway log (`<dataDir>/logs/<bot>.log`) is rotated past this size. */
    logs: z
      .strictObject({
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(10 * 1024 * 1024),
        keep: z.number().int().min(1).max(100).default(5),
      })
      .prefault({}),
    /** Extra variables for every gateway; `{name}` and `{stateDir}` are replaced per bot. */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    /**
     * At most this many gateways boot at once when `clawops up` brings back
     * the desired-running ones: a gateway takes 8-25 s and ~1 GB to boot, so a
     * small host booting them all at once thrashes (docs/hosts.md).
     */
    startConcurrency: z.number().int().min(1).max(256).default(2),
  })
  .prefault({});

/** The identity of this daemon's host in a fleet of several (docs/hosts.md). */
export const HOST_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

const hostSchema = z
  .strictObject({
    /** This host's name in the fleet; default: the machine's hostname, lowercased. */
    id: z
      .string()
      .regex(HOST_ID, {
        error: "expected 1-63 lowercase letters, digits or '-', not starting or ending with '-'",
      })
      .optional(),
    /** How often the daemon tells the store it is alive. */
    heartbeat: duration("5s"),
    /** A host not heard from for this long is shown "host unreachable" (never "crashed"). */
    unreachableAfter: duration("20s"),
  })
  .prefault({});

const provisionSchema = z
  .strictObject({
    /** Folder with `openclaw.json5` and `overlays/<env>.json5`; default: clawops's built-in template. */
    templateDir: z.string().min(1).optional(),
    /** Public host name for the generated Caddyfile (default: `:80`, any host). */
    domain: z.string().min(1).optional(),
  })
  .prefault({});

/** At most `max` within `window` (a fixed window, per key). */
const limitSchema = (max: number, window: string) =>
  z
    .strictObject({
      max: z.number().int().min(1).max(1_000_000).default(max),
      window: duration(window),
    })
    .prefault({});

const accessSchema = z
  .strictObject({
    /** Audit entries older than this are removed (daily); the issue's floor is 30 days. */
    auditRetention: duration("30d"),
    /** Shared by every instance on one Redis when `redis.url` is set; in-process otherwise. */
    limits: z
      .strictObject({
        /** State-changing calls per user or API token (the local CLI is not limited). */
        writes: limitSchema(120, "1m"),
        /** State-changing calls per organisation, all its users and tokens together. */
        orgWrites: limitSchema(600, "1m"),
        /** Failed logins per account name; then 429 until the window ends. */
        loginFailures: limitSchema(100, "1h"),
      })
      .prefault({}),
  })
  .prefault({});

const redisSchema = z
  .strictObject({
    /** `redis://host:port`: rate limits shared by every clawops instance on it. */
    url: z
      .string()
      .regex(/^rediss?:\/\//, { error: "expected a redis:// or rediss:// URL" })
      .optional(),
  })
  .prefault({});

export const configSchema = z.strictObject({
  /** Where clawops keeps its database, lock and per-bot files. */
  dataDir: z.string().min(1).default("./.clawops"),
  /** Several hosts, one fleet: this host's identity (docs/hosts.md). */
  host: hostSchema,
  database: databaseSchema,
  http: httpSchema,
  log: logSchema,
  daemon: daemonSchema,
  fleet: fleetSchema,
  openclaw: openclawSchema,
  supervisor: supervisorSchema,
  provision: provisionSchema,
  repair: repairConfigSchema,
  notify: notifyConfigSchema,
  ingest: ingestConfigSchema,
  budgets: budgetsConfigSchema,
  vault: vaultConfigSchema,
  access: accessSchema,
  redis: redisSchema,
  approvals: approvalsConfigSchema,
  /** Public, read-only status pages, by organisation (`/status/<org>`). */
  statusPages: statusPagesConfigSchema,
  /** Scheduled backups with retention, run by the daemon (docs/backup.md); off by default. */
  backups: backupsConfigSchema,
  /** The components `clawops readiness` checks (docs/readiness.md). */
  readiness: readinessConfigSchema,
});

/** Validated clawops configuration. Durations are milliseconds; paths are absolute. */
export type ClawopsConfig = z.output<typeof configSchema>;
