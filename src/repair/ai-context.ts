import { readFileSync, readdirSync, statSync, statfsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Bot } from "../core/bot.js";
import type { GatewayInstance } from "../core/gateway-state.js";
import type { DoctorService } from "../doctor/service.js";
import { probe } from "../gateway/probes.js";
import type { Store } from "../store/store.js";
import type { Logger } from "pino";
import { redactDeep } from "../core/redact.js";
import type { Supervisor } from "../supervisor/supervisor.js";
import type { Evidence } from "./evidence.js";
import { type PlanVerdict, planPrompt, requestPlan, validatePlan } from "./planner.js";
import type { RepairSettings } from "./settings.js";

const BUNDLE_BYTES = 4_096;

/**
 * What the AI planner is shown: the gateway's status and exit, the evidence
 * (log tail included), /readyz, OpenClaw's own lint, recent events, disk and
 * memory, the newest stability bundles. The caller redacts it before it leaves.
 */
export async function buildAiContext(input: {
  bot: Bot;
  evidence: Evidence;
  instance: GatewayInstance | null;
  store: Store;
  doctor: DoctorService;
}) {
  const { bot, evidence, instance } = input;
  const [readyz, lint, events] = await Promise.all([
    probe(`http://127.0.0.1:${bot.port}`, "readyz", { timeoutMs: 3_000 }),
    input.doctor
      .check({ configFile: bot.configPath, stateDir: bot.stateDir, bot }, { scopes: ["openclaw"] })
      .then((report) => report.findings.map((f) => `${f.severity} ${f.path}: ${f.message}`))
      .catch((error: unknown) => [`lint failed: ${String(error)}`]),
    input.store.listEvents({ botId: bot.id, limit: 20 }),
  ]);
  return {
    bot: { name: bot.name, port: bot.port, driver: bot.driver },
    gateway: instance
      ? {
          state: instance.state,
          reason: instance.reason,
          version: instance.version,
          restarts: instance.restarts,
          recentFailures: instance.recentFailures.length,
          rssBytes: instance.rssBytes,
        }
      : null,
    evidence,
    readyz: readyz.ok ? { status: readyz.status, body: readyz.body } : { failure: readyz.message },
    openclawLint: lint,
    recentEvents: events.map((e) => ({ ts: e.ts, type: e.type, data: e.data })),
    system: systemFacts(bot.stateDir),
    stabilityBundles: newestBundles(path.join(bot.stateDir, "logs", "stability"), 2),
  };
}

function systemFacts(stateDir: string) {
  let diskFreeBytes: number | null = null;
  try {
    const fs = statfsSync(stateDir);
    diskFreeBytes = fs.bavail * fs.bsize;
  } catch {
    // Unknown.
  }
  return {
    diskFreeBytes,
    memFreeBytes: os.freemem(),
    memTotalBytes: os.totalmem(),
    loadAvg: os.loadavg(),
  };
}

/** OpenClaw's crash bundles (`$STATE/logs/stability/*.json`), newest first, each cut to 4 KB. */
function newestBundles(dir: string, count: number) {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  return files
    .map((name) => ({ name, mtime: statSync(path.join(dir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)
    .slice(0, count)
    .map(({ name }) => ({
      name,
      head: readFileSync(path.join(dir, name), "utf8").slice(0, BUNDLE_BYTES),
    }));
}

/** Tier 3: the AI's plan for the bot, from redacted evidence, validated against the allowlist. */
export async function planTier3(input: {
  bot: Bot;
  evidence: Evidence;
  redact: (text: string) => string;
  log: Logger;
  settings: RepairSettings;
  store: Store;
  doctor: DoctorService;
  supervisor: Supervisor;
  signal: AbortSignal;
}): Promise<PlanVerdict> {
  const { bot, settings } = input;
  const ai = settings.ai;
  const facts = await buildAiContext({
    bot,
    evidence: input.evidence,
    store: input.store,
    doctor: input.doctor,
    instance: await input.supervisor.instance(bot.id),
  });
  const messages = planPrompt(bot.name, settings.allowlist, redactDeep(facts, input.redact));
  const answer = await requestPlan(ai, process.env[ai.apiKeyEnv], messages, input.signal);
  if ("error" in answer) return { ok: false, reason: `AI planner: ${answer.error}` };
  const verdict = validatePlan(answer.content, {
    bot: bot.name,
    allowlist: settings.allowlist,
    maxActions: ai.maxActions,
  });
  if (verdict.ok) return verdict;
  input.log.warn({ reason: verdict.reason }, "repair.plan_rejected");
  return { ok: false, reason: `AI plan rejected: ${verdict.reason}` };
}
