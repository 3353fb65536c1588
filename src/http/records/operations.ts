import { z } from "zod";
import { BUDGET_ACTIONS, BUDGET_LEVELS, BUDGET_SCOPES, BUDGET_WINDOWS } from "../../core/budget.js";
import { SEVERITIES } from "../../core/finding.js";
import { REPAIR_OUTCOMES, REPAIR_TRIGGERS } from "../../core/repair.js";

const tier = z.union([z.literal(1), z.literal(2), z.literal(3)]);
const evidence = z.record(z.string(), z.unknown());

/** One repair and what it did (src/core/repair.ts `RepairRecord`). */
export const repairSchema = z
  .object({
    id: z.string(),
    botId: z.string(),
    botName: z.string(),
    trigger: z.enum(REPAIR_TRIGGERS),
    cause: z.string(),
    startedBy: z.string().meta({
      description:
        "`repair`, `cli#<request id>`, `user:alice#<request id>`, `token:ci#<request id>`, ...",
    }),
    dryRun: z.boolean(),
    outcome: z.enum(REPAIR_OUTCOMES),
    tier: z.union([z.literal(0), tier]),
    summary: z.string(),
    actions: z.array(
      z.object({
        tier,
        action: z.string(),
        params: evidence,
        status: z.enum(["ok", "failed", "skipped", "rejected", "planned"]),
        detail: z.string(),
        durationMs: z.number(),
        diff: z.string().optional(),
        backup: z.string().optional(),
      }),
    ),
    evidence,
    faultAt: z.string(),
    detectedAt: z.string(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    recoveredAt: z.string().nullable(),
  })
  .meta({ id: "Repair" });

/** Repair figures (src/core/repair.ts `RepairStats`). */
export const repairStatsSchema = z.object({
  total: z.number().int(),
  recovered: z.number().int(),
  escalated: z.number().int(),
  skipped: z.number().int(),
  successRate: z.number().nullable(),
  escalationRate: z.number().nullable(),
  meanTimeToDetectMs: z.number().nullable(),
  meanTimeToRecoverMs: z.number().nullable(),
  byTier: z.object({ 1: z.number().int(), 2: z.number().int(), 3: z.number().int() }),
});

/** A maintenance pause: a bot's, or the fleet's (`botId: null`). */
export const repairPauseSchema = z
  .object({ botId: z.string().nullable(), by: z.string(), reason: z.string(), since: z.string() })
  .meta({ id: "RepairPause" });

/** `GET /api/v1/repairs/status` (src/core/repair.ts `RepairStatus`). */
export const repairStatusSchema = z.object({
  enabled: z.boolean(),
  dryRun: z.boolean(),
  budget: z.object({ maxPerHour: z.number().int(), cooldownMs: z.number().int() }),
  pauses: z.array(repairPauseSchema),
  budgets: z.array(
    z.object({
      bot: z.string(),
      repairing: z.boolean(),
      remaining: z.number().int(),
      cooldownUntil: z.string().nullable(),
    }),
  ),
});

/** A place in a JSON document: object keys and array indexes (src/core/finding.ts `JsonPath`). */
const jsonPath = z.array(z.union([z.string(), z.number().int()])).readonly();

/** A doctor finding (src/core/finding.ts `Finding`); its `fix` as the doctor describes it. */
const findingSchema = z
  .object({
    id: z.string(),
    severity: z.enum(SEVERITIES),
    path: z.string(),
    message: z.string(),
    file: z.string().optional(),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
    evidence: evidence.optional(),
    fix: z
      .discriminatedUnion("kind", [
        z.object({
          kind: z.literal("edit-config"),
          summary: z.string(),
          edits: z.array(
            z.discriminatedUnion("op", [
              z.object({ op: z.literal("set"), path: jsonPath, value: z.unknown() }),
              z.object({ op: z.literal("copy"), from: jsonPath, path: jsonPath }),
              z.object({ op: z.literal("remove"), path: jsonPath }),
            ]),
          ),
        }),
        z.object({
          kind: z.literal("chmod"),
          summary: z.string(),
          file: z.string(),
          mode: z.number().int(),
        }),
        z.object({
          kind: z.literal("manual"),
          summary: z.string(),
          command: z.string().optional(),
        }),
      ])
      .optional()
      .meta({ description: "`edit-config` and `chmod` are applied by `clawops doctor --fix`" }),
  })
  .meta({ id: "Finding" });

/** `GET /api/v1/bots/:name/doctor` (src/doctor/run-doctor.ts `DoctorReport`). */
export const doctorReportSchema = z.object({
  configFile: z.string(),
  stateDir: z.string().nullable(),
  bot: z.string().nullable(),
  openclawVersion: z.string().nullable(),
  findings: z.array(findingSchema),
  counts: z.object({ error: z.number().int(), warning: z.number().int(), info: z.number().int() }),
  rules: z.array(z.string()),
  durationMs: z.number(),
});

/** A spending budget now (src/budget/ledger.ts `BudgetStatus`). */
export const budgetStatusSchema = z.object({
  scope: z.enum(BUDGET_SCOPES),
  name: z.string(),
  window: z.enum(BUDGET_WINDOWS),
  periodStart: z.string(),
  resetsAt: z.string(),
  spentUsd: z.number(),
  limitUsd: z.number(),
  percent: z.number(),
  warnAt: z.number(),
  action: z.enum(BUDGET_ACTIONS),
  level: z.enum(BUDGET_LEVELS),
  announced: z.enum(BUDGET_LEVELS),
  paused: z.boolean(),
  bots: z.array(z.string()),
});

/** A budget window's remembered state (src/core/budget.ts `BudgetState`): what a resume lifted. */
export const budgetStateSchema = z.object({
  scope: z.enum(BUDGET_SCOPES),
  name: z.string(),
  window: z.enum(BUDGET_WINDOWS),
  periodStart: z.string(),
  level: z.enum(BUDGET_LEVELS),
  paused: z.boolean(),
  spentUsd: z.number(),
  limitUsd: z.number(),
  updatedAt: z.string(),
});

/** One stored event (src/core/events.ts `OpsEvent`); `data` per type in docs/events.md. */
export const eventSchema = z
  .object({
    id: z.number().int(),
    ts: z.string(),
    type: z.string(),
    version: z.number().int(),
    botId: z.string().nullable(),
    actor: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "Event" });
