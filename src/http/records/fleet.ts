import { z } from "zod";
import { DESIRED_STATES, DRIVERS, botInputSchema } from "../../core/bot.js";
import { GATEWAY_STATES } from "../../core/gateway-state.js";

/** A registered bot (src/core/bot.ts `Bot`). */
export const botSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    owner: z.string().nullable(),
    driver: z.enum(DRIVERS),
    stateDir: z.string().meta({ description: "absolute path of the gateway's state dir" }),
    configPath: z.string().meta({ description: "absolute path of the gateway's openclaw.json" }),
    port: z.number().int(),
    desiredState: z.enum(DESIRED_STATES),
    labels: z.record(z.string(), z.string()),
    openclawBin: z.string().nullable().meta({ description: "null: clawops's default" }),
    org: z.string().meta({ description: "the organisation it belongs to" }),
    host: z.string().nullable().optional().meta({
      description: "the host whose daemon runs its gateway (docs/hosts.md); null until claimed",
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Bot" });

/**
 * `POST /api/v1/bots`: the registry's own input schema plus the call's
 * `allowMissingConfig` (a non-boolean counts as false, as it always has).
 * `openclawBin` is in the registry's schema but refused over the API (403).
 */
export const botRegistrationSchema = botInputSchema
  .extend({
    allowMissingConfig: z
      .boolean()
      .optional()
      .catch(undefined)
      .meta({ description: "register even though the config file does not exist yet" }),
  })
  .meta({ title: "bot" });

const exitSchema = z.object({
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
  reason: z.string(),
  at: z.string(),
  logTail: z.array(z.string()).optional(),
});

/** One bot's gateway as the supervisor keeps it (src/core/gateway-state.ts `GatewayInstance`). */
export const gatewaySchema = z
  .object({
    botId: z.string(),
    state: z.enum(GATEWAY_STATES),
    reason: z.string(),
    pid: z.number().int().nullable(),
    pidStartTime: z.number().nullable(),
    startedAt: z.string().nullable(),
    stateSince: z.string(),
    version: z.string().nullable(),
    restarts: z.number().int(),
    recentFailures: z.array(z.string()),
    lastExit: exitSchema.nullable(),
    rssBytes: z.number().nullable(),
    rssSamples: z
      .array(z.number())
      .describe("the last resident-memory readings in bytes, oldest first (up to 60)"),
    ready: z.boolean().nullable(),
    updatedAt: z.string(),
  })
  .meta({ id: "Gateway" });

/** The daemon's readiness (src/daemon/readiness.ts `Readiness`); also `/readyz`'s answer. */
export const readinessSchema = z
  .object({
    ready: z.boolean(),
    failing: z.array(z.object({ part: z.string(), reason: z.string() })),
    warnings: z.array(z.object({ part: z.string(), warning: z.string() })).meta({
      description: "parts that are ready but need an operator soon (a certificate near its end)",
    }),
    parts: z.record(
      z.string(),
      z.looseObject({
        ok: z.boolean(),
        reason: z.string().optional(),
        warning: z.string().optional(),
      }),
    ),
  })
  .meta({ id: "Readiness" });

/** A host of the fleet (src/hosts/fleet-hosts.ts `HostView`). */
export const hostSchema = z
  .object({
    id: z.string(),
    apiUrl: z.string().meta({ description: "where its daemon's API answers" }),
    version: z.string(),
    startedAt: z.string(),
    lastSeenAt: z.string().meta({ description: "its last heartbeat" }),
    reachable: z.boolean().meta({ description: "heard from within host.unreachableAfter" }),
    self: z.boolean().meta({ description: "the host of the daemon that answered" }),
  })
  .meta({ id: "Host" });

/** What the fleet view shows of a bot: its gateway's state, or that its host is unreachable. */
export const FLEET_STATES = [...GATEWAY_STATES, "host unreachable"] as const;

/** `GET /api/v1/status`. */
export const statusSchema = z.object({
  daemon: z.object({
    host: z.string().meta({ description: "this daemon's host id (docs/hosts.md)" }),
    leader: z
      .boolean()
      .meta({ description: "runs the fleet's singletons (Telegram poller, budgets, schedules)" }),
    version: z.string(),
    pid: z.number().int(),
    startedAt: z.string(),
    uptimeMs: z.number(),
    dataDir: z.string(),
    store: z.object({ dialect: z.string(), location: z.string() }),
    http: z.string(),
  }),
  readiness: readinessSchema,
  hosts: z.array(hostSchema),
  bots: z.array(botSchema),
  fleet: z
    .array(
      z.object({
        bot: z.string(),
        host: z.string().nullable(),
        state: z.enum(FLEET_STATES),
      }),
    )
    .meta({
      description:
        'each bot as the fleet shows it: its gateway\'s state ("stopped" without one), or "host unreachable" when its host stopped reporting (never "crashed": nothing restarts it elsewhere)',
    }),
  gateways: z.array(
    gatewaySchema.extend({
      bot: z.string().meta({ description: "the bot's name" }),
      sessions: z
        .object({ path: z.enum(["protocol", "jsonl"]), connected: z.boolean() })
        .nullable()
        .meta({ description: "how its sessions are followed; null when they are not" }),
      canary: z
        .object({
          outcome: z.enum(["pass", "fail", "skipped"]),
          message: z.string(),
          latencyMs: z.number().nullable(),
          spentTodayUsd: z.number().nullable(),
          failures: z.number().int(),
          degrading: z.boolean(),
          at: z.string(),
        })
        .nullable()
        .meta({
          description:
            "its last canary run (supervisor.checks.canary); null when the canary is off or has not run since the daemon started",
        }),
    }),
  ),
});
