import { z } from "zod";
import type { DaemonContext } from "../../daemon/context.js";
import type { ReadinessReport } from "../../readiness/runner.js";
import { createReadinessReport } from "../../readiness/service.js";
import { requireDaemonWide } from "../org-scope.js";
import { type Api, queryBoolean, withErrors } from "../schema.js";

const STATUS = z.enum(["pass", "warn", "fail", "skip"]);
const evidenceValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);

/** A readiness report (src/readiness/runner.ts): `timings` is what moves between runs. */
export const readinessReportSchema = z.object({
  score: z.number().int().min(0).max(100),
  status: z.enum(["pass", "warn", "fail"]),
  counts: z.object({ pass: z.number(), warn: z.number(), fail: z.number(), skip: z.number() }),
  results: z.array(
    z.object({
      name: z.string(),
      check: z.string(),
      title: z.string(),
      target: z.string(),
      source: z.string(),
      weight: z.number(),
      status: STATUS,
      summary: z.string(),
      evidence: z.record(z.string(), evidenceValue),
      fix: z.string().optional(),
    }),
  ),
  timings: z.object({
    generatedAt: z.string(),
    durationMs: z.number(),
    components: z.record(z.string(), z.record(z.string(), z.number())),
  }),
});

const readinessQuery = z.strictObject({
  refresh: queryBoolean.meta({
    description:
      "run the checks now rather than return a report younger than readiness.maxReportAge",
  }),
});

/**
 * `GET /api/v1/readiness`: the production-readiness report of the components
 * clawops.yaml declares (docs/readiness.md). It checks infrastructure shared by
 * every organisation, so only daemon-wide principals see it. A report younger
 * than `readiness.maxReportAge` is returned as is; concurrent requests share
 * one run.
 */
export function readinessRoutes(app: Api, ctx: DaemonContext) {
  let last: { report: ReadinessReport; atMs: number } | null = null;
  let running: Promise<ReadinessReport> | null = null;
  const runNow = () => {
    running ??= (async () => {
      try {
        const report = await createReadinessReport({
          config: ctx.config,
          store: ctx.store,
          bots: await ctx.store.listBots(),
          doctor: ctx.doctor,
        });
        last = { report, atMs: Date.now() };
        return report;
      } finally {
        running = null;
      }
    })();
    return running;
  };
  app.get(
    "/api/v1/readiness",
    {
      schema: {
        tags: ["readiness"],
        summary: "The scored production-readiness report",
        querystring: readinessQuery,
        response: withErrors({
          200: z.object({ report: readinessReportSchema, fresh: z.boolean() }),
        }),
      },
    },
    async (request) => {
      requireDaemonWide(request, "the readiness report");
      const cached = last;
      if (
        !request.query.refresh &&
        cached &&
        Date.now() - cached.atMs < ctx.config.readiness.maxReportAge
      ) {
        return { report: cached.report, fresh: false };
      }
      return { report: await runNow(), fresh: true };
    },
  );
}
