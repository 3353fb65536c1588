import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import { memoFor } from "../../core/memo.js";
import {
  HEALTH_WINDOWS,
  type HealthWindow,
  PUBLIC_STATUSES,
  buildFleetHealth,
} from "../../fleet/health.js";
import { scopeOf, scopedBot } from "../org-scope.js";
import { type Api, botParams, withErrors } from "../schema.js";

/** A fleet's health is read at most this often per organisation, window and bot. */
const CACHE_MS = 10_000;

const windowQuery = z.strictObject({
  window: z
    .enum(Object.keys(HEALTH_WINDOWS) as [HealthWindow, ...HealthWindow[]])
    .default("24h")
    .describe("how far back: 24h, 7d or 30d"),
});
const status = z.enum(PUBLIC_STATUSES);
const botHealthSchema = z
  .object({
    bot: z.string(),
    host: z.string().nullable().describe("the host that runs its gateway (docs/hosts.md)"),
    score: z
      .number()
      .int()
      .nullable()
      .describe("0-100 from uptime, failed messages and repairs (docs/dashboard.md); null: off"),
    uptime: z
      .number()
      .nullable()
      .describe("share of the time meant to run that it answered; null: never meant to run"),
    restarts: z.number().int().describe("starts after a running, failed or crashed process"),
    crashes: z.number().int(),
    messages: z.number().int(),
    errors: z.number().int().describe("failed turns and tool results"),
    errorRate: z.number().nullable().describe("errors / messages; null without messages"),
    repairs: z.number().int().describe("repairs that acted"),
    openRepairs: z
      .number()
      .int()
      .describe("running repairs and escalated ones since its last recovery"),
    costTodayUsd: z.number().describe("spend since 00:00 UTC"),
    rssSamples: z.array(z.number()).describe("resident memory readings in bytes, oldest first"),
    spans: z
      .array(z.object({ start: z.number(), end: z.number(), status }))
      .optional()
      .describe("one bot only: its status over the window, epoch milliseconds"),
  })
  .meta({ id: "BotHealth" });
const healthSchema = z
  .object({
    window: z.string(),
    since: z.string(),
    generatedAt: z.string(),
    truncated: z.boolean().describe("more state changes than read: the latest were left out"),
    bots: z.array(botHealthSchema),
  })
  .meta({ id: "FleetHealth" });

/**
 * `GET /api/v1/fleet/health` and `GET /api/v1/bots/:name/health`: each bot's
 * uptime, restarts, crashes, failed messages, repairs, spend today, memory
 * curve and score over 24 h, 7 d or 30 d (src/fleet/health.ts).
 */
export function healthRoutes(app: Api, ctx: DaemonContext) {
  // A state change or a repair makes the kept answers old at once (a crash shows in its restarts
  // at the next read); messages and spend may wait out CACHE_MS.
  let generation = 0;
  let off: (() => void) | null = null;
  // On the first read: what builds the server need not have a bus yet.
  const follow = () =>
    (off ??= ctx.bus.subscribe((event) => {
      if (/^(gateway\.state|repair\.|bot\.)/.test(event.type)) generation += 1;
    }));
  app.addHook("onClose", async () => off?.());
  const health = memoFor(CACHE_MS, async (key) => {
    const [org, window, botId] = JSON.parse(key) as [string | null, HealthWindow, string | null];
    // Listeners hear an event before the store has it: what bumped the generation is read too.
    await ctx.bus.flush(1_000);
    return buildFleetHealth({
      store: ctx.store,
      ...(org === null ? {} : { org }),
      ...(botId === null ? {} : { botId }),
      window,
      instances: () => ctx.supervisor.instances(),
    });
  });
  const keyOf = (org: string | undefined, window: HealthWindow, botId?: string) => {
    follow();
    return JSON.stringify([org ?? null, window, botId ?? null, generation]);
  };

  app.get(
    "/api/v1/fleet/health",
    {
      schema: {
        tags: ["fleet"],
        summary: "Every bot's health over a window: uptime, restarts, errors, repairs, cost, score",
        querystring: windowQuery,
        response: withErrors({ 200: healthSchema }),
      },
    },
    async (request) => health(keyOf(scopeOf(request), request.query.window)),
  );

  app.get(
    "/api/v1/bots/:name/health",
    {
      schema: {
        tags: ["fleet"],
        summary: "One bot's health over a window, with its status spans for a timeline",
        params: botParams,
        querystring: windowQuery,
        response: withErrors({ 200: healthSchema }),
      },
    },
    async (request) => {
      const bot = await scopedBot(ctx, request, request.params.name);
      return health(keyOf(scopeOf(request), request.query.window, bot.id));
    },
  );
}
