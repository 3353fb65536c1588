import { randomUUID } from "node:crypto";
import type { Bot } from "../core/bot.js";
import { errorMessage } from "../core/errors.js";
import type {
  RepairActionRecord,
  RepairRecord,
  RepairTier,
  RepairTrigger,
} from "../core/repair.js";
import type { ActionContext } from "./action.js";
import { REPAIR_ACTIONS } from "./actions/index.js";
import { checkLive, checkRecovered } from "./actions/lifecycle.js";
import { diagnose } from "./diagnose.js";
import type { Evidence } from "./evidence.js";
import type { PlanVerdict } from "./planner.js";
import { redactDeep } from "../core/redact.js";
import type { StartFailure, StartFailureKind } from "../core/start-failure.js";
import type { ActionName } from "./actions/index.js";
import type { RepairSettings } from "./settings.js";

export interface RepairRequest {
  bot: Bot;
  trigger: RepairTrigger;
  /** The trigger in words. */
  cause: string;
  startedBy: string;
  dryRun: boolean;
  faultAt: string;
  detectedAt: string;
  /** A start that failed before a process ran: why, as a kind. */
  failure?: StartFailure;
}

/**
 * Starts that fail for a cause no allowlisted action fixes, and what a human
 * can do: restarting would fail the same way, so they are escalated at once.
 */
const BEYOND_ACTIONS: Partial<Record<StartFailureKind, { what: string; todo: string }>> = {
  binary_missing: {
    what: "a missing openclaw binary",
    todo: "install OpenClaw (clawops openclaw install) or point openclaw.bin at it, then clawops bot start",
  },
  binary_not_executable: {
    what: "an openclaw binary the system will not run",
    todo: "make it executable (chmod +x) or point openclaw.bin at the openclaw entry, then clawops bot start",
  },
  state_dir_unwritable: {
    what: "a state dir that cannot be written",
    todo: "fix the state dir's ownership, permissions or disk, then clawops bot start",
  },
};

export interface PipelineDeps {
  context: ActionContext;
  settings: RepairSettings;
  collectEvidence(): Promise<Evidence>;
  /** Tier 3; absent when no AI endpoint is configured. */
  plan?(evidence: Evidence): Promise<PlanVerdict>;
  /** Masks secrets in what the record keeps (details, diffs). */
  redact: (text: string) => string;
  /** Persists the record as it progresses. */
  save(record: RepairRecord): Promise<void>;
}

interface Step {
  action: string;
  params: Record<string, unknown>;
}

/** A repair record as it begins: `running`, no tier, no action yet. */
export function newRepairRecord(request: RepairRequest, startedAt: string): RepairRecord {
  return {
    id: randomUUID(),
    botId: request.bot.id,
    botName: request.bot.name,
    trigger: request.trigger,
    cause: request.cause,
    startedBy: request.startedBy,
    dryRun: request.dryRun,
    outcome: "running",
    tier: 0,
    summary: "",
    actions: [],
    evidence: {},
    faultAt: request.faultAt,
    detectedAt: request.detectedAt,
    startedAt,
    endedAt: null,
    recoveredAt: null,
  };
}

/**
 * One repair, tier by tier: a restart when the evidence says a restart can
 * help; then the deep fix the evidence supports; then the AI's plan; then
 * humans. Every action is recorded with its result; a dry run records what
 * would run and changes nothing.
 */
export async function runRepair(request: RepairRequest, deps: PipelineDeps): Promise<RepairRecord> {
  const { context } = deps;
  const record = newRepairRecord(request, context.now().toISOString());
  await deps.save(record);
  const finish = async (outcome: RepairRecord["outcome"], summary: string) => {
    record.outcome = outcome;
    record.summary = summary;
    record.endedAt = context.now().toISOString();
    if (outcome === "recovered") record.recoveredAt = record.endedAt;
    await deps.save(record);
    return record;
  };

  try {
    return await runTiers(request, deps, record, finish);
  } catch (error) {
    if (error instanceof Interrupted) return finish("interrupted", error.message);
    return finish("escalated", `internal error: ${deps.redact(errorMessage(error))}`);
  }
}

/** clawops is stopping: the repair ends at its next step. */
class Interrupted extends Error {}

async function runTiers(
  request: RepairRequest,
  deps: PipelineDeps,
  record: RepairRecord,
  finish: (outcome: RepairRecord["outcome"], summary: string) => Promise<RepairRecord>,
): Promise<RepairRecord> {
  const { context, redact } = deps;
  const observe = async () => {
    const evidence = await deps.collectEvidence();
    const diagnosis = diagnose(evidence, request.trigger);
    // Evidence is kept and shown (API, chat): masked like everything else that leaves clawops.
    record.evidence = redactDeep({ ...evidence, diagnosis: diagnosis.causes }, redact);
    return { evidence, diagnosis };
  };
  const runTier = async (tier: RepairTier, steps: Step[]): Promise<boolean> => {
    record.tier = tier;
    for (const step of steps) {
      if (context.signal.aborted) throw new Interrupted("interrupted: clawops is stopping");
      const done = await runStep(tier, step, deps, request.dryRun);
      record.actions.push(done);
      await deps.save(record);
      if (done.status === "failed" || done.status === "rejected") return false;
    }
    return !request.dryRun && record.actions.at(-1)?.status === "ok";
  };

  let { evidence, diagnosis } = await observe();
  record.cause = redact([request.cause, ...diagnosis.causes].join("; "));
  const beyond = request.failure && BEYOND_ACTIONS[request.failure.kind];
  if (beyond)
    return finish(
      "escalated",
      `escalated at once: no allowlisted action fixes ${beyond.what}; ${beyond.todo}`,
    );

  if (diagnosis.restartHelps) {
    if (await runTier(1, [{ action: "restart", params: {} }]))
      return finish(
        "recovered",
        `tier 1: the restarted gateway answers /healthz${context.requireReady ? " and is ready" : ""}`,
      );
    // A restart that failed often shows the real cause (a held port, exit 78).
    if (!request.dryRun) ({ evidence, diagnosis } = await observe());
  }
  if (diagnosis.deepFix.length > 0) {
    const steps = diagnosis.deepFix.map((action) => ({ action, params: {} }));
    if (await runTier(2, steps))
      return finish("recovered", `tier 2: ${diagnosis.causes.join("; ")}; fixed and restarted`);
  }
  if (deps.plan) {
    const started = context.now().getTime();
    const verdict = await deps.plan(evidence);
    if (!verdict.ok) {
      record.tier = 3;
      record.actions.push({
        tier: 3,
        action: "ai-plan",
        params: {},
        status: "rejected",
        detail: redact(verdict.reason),
        durationMs: context.now().getTime() - started,
      });
    } else {
      record.evidence = { ...record.evidence, aiDiagnosis: redact(verdict.diagnosis) };
      await runTier(3, verdict.steps);
      // The plan need not end with a restart: what counts is a live gateway after it.
      if (!request.dryRun && (await checkRecovered(context)) === null)
        return finish("recovered", `tier 3: ${redact(verdict.diagnosis).slice(0, 300)}`);
    }
  }
  if (request.dryRun) {
    const planned = record.actions.filter((a) => a.status === "planned").length;
    return finish("planned", `dry run: ${planned} action(s) would run; nothing was changed`);
  }
  if (record.actions.length === 0 && (await checkLive(context)) === null)
    return finish("skipped", "nothing to repair: the gateway is live");
  const causes = diagnosis.causes.join("; ") || "no cause found in the evidence";
  return finish("escalated", `no tier could repair it (${causes}); escalated to humans`);
}

async function runStep(
  tier: RepairTier,
  step: Step,
  deps: PipelineDeps,
  dryRun: boolean,
): Promise<RepairActionRecord> {
  const started = Date.now();
  const done = (
    status: RepairActionRecord["status"],
    detail: string,
    extra: Partial<RepairActionRecord> = {},
  ): RepairActionRecord => ({
    tier,
    action: step.action,
    params: step.params,
    status,
    detail: deps.redact(detail),
    durationMs: Date.now() - started,
    ...extra,
  });
  if (!(deps.settings.allowlist as readonly string[]).includes(step.action))
    return done("rejected", "not on the allowlist (repair.allowlist)");
  const action = REPAIR_ACTIONS[step.action as ActionName];
  const params = action.params.safeParse(step.params);
  if (!params.success)
    return done("rejected", `bad parameters: ${params.error.issues[0]!.message}`);
  const { context } = deps;
  let why: string | null;
  try {
    why = await action.precondition(context, params.data);
  } catch (error) {
    return done("failed", `precondition failed: ${errorMessage(error)}`);
  }
  if (dryRun) return done("planned", why ? `would be skipped now: ${why}` : action.description);
  if (why) return done("skipped", why);
  try {
    const result = await action.execute(context, params.data);
    const extra = {
      ...(result.diff ? { diff: deps.redact(result.diff) } : {}),
      ...(result.backup ? { backup: result.backup } : {}),
    };
    const problem = await action.verify(context, params.data, result);
    return problem === null
      ? done("ok", result.detail, extra)
      : done("failed", `${result.detail}; but ${problem}`, extra);
  } catch (error) {
    return done("failed", errorMessage(error));
  }
}
