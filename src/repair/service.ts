import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import JSON5 from "json5";
import type { Logger } from "pino";
import type { ClawopsConfig } from "../config/schema.js";
import type { Bot } from "../core/bot.js";
import { OpsError, errorMessage } from "../core/errors.js";
import type { OpsEvent } from "../core/events.js";
import type { Notification } from "../core/notification.js";
import type { RepairPause, RepairRecord, RepairStats, RepairTrigger } from "../core/repair.js";
import { applyFixes } from "../doctor/fix.js";
import { CONFIG_RULES } from "../doctor/rules/index.js";
import type { DoctorService } from "../doctor/service.js";
import type { EventBus } from "../events/bus.js";
import { requireBot } from "../fleet/registry.js";
import { gatewayTokenFrom } from "../gateway/openclaw-config.js";
import type { Store } from "../store/store.js";
import { gatewayLogFile, tailLines } from "../supervisor/gateway-log.js";
import { type Supervisor, gatewayEnv } from "../supervisor/supervisor.js";
import { writeFileAtomic } from "../system/files.js";
import type { ActionContext } from "./action.js";
import { buildAiContext } from "./ai-context.js";
import { checkBudget } from "./budget.js";
import { collectEvidence } from "./evidence.js";
import { repairNotification } from "./messages.js";
import { type RepairRequest, runRepair } from "./pipeline.js";
import { planPrompt, requestPlan, validatePlan } from "./planner.js";
import { createRedactor, redactDeep, secretsInConfig, secretsInEnv } from "./redact.js";
import type { RepairSettings } from "./settings.js";
import { computeRepairStats } from "./stats.js";

export interface RepairServiceDeps {
  config: ClawopsConfig;
  store: Store;
  bus: EventBus;
  log: Logger;
  supervisor: Supervisor;
  doctor: DoctorService;
  notify(notification: Notification): void;
  /** Epoch ms; injected by tests of the budget. */
  now?: () => number;
}

/** A trigger, as the supervisor's events describe it. */
interface Trigger {
  trigger: RepairTrigger;
  cause: string;
  faultAt: string;
  detectedAt: string;
}

/** A hang is reported before the kill that follows it: the crash is then the hang's. */
const HANG_MEMORY_MS = 60_000;

/**
 * The repair pipeline as the daemon runs it: listens to the supervisor's
 * events, opens one repair per bot at a time, applies the budget and pauses,
 * records every repair in the store and tells the operators.
 */
export class RepairService {
  private readonly settings: RepairSettings;
  private readonly active = new Map<string, Promise<RepairRecord>>();
  private readonly hung = new Map<string, { at: number; failingSince: string; message: string }>();
  private readonly degradedTimers = new Map<string, NodeJS.Timeout>();
  /** Per bot, the end of the cooldown already announced (one "not repaired" message per cooldown). */
  private readonly announced = new Map<string, number>();
  private readonly aborter = new AbortController();
  private readonly now: () => number;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: RepairServiceDeps) {
    this.settings = deps.config.repair;
    this.now = deps.now ?? Date.now;
  }

  /** Starts following the supervisor's events. */
  start(): void {
    this.unsubscribe = this.deps.bus.subscribe((event) => this.onEvent(event));
  }

  /** Stops listening; repairs in progress are told to stop and awaited. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    for (const timer of this.degradedTimers.values()) clearTimeout(timer);
    this.aborter.abort();
    await Promise.allSettled([...this.active.values()]);
  }

  /** An operator's repair: ignores the budget and pauses; refuses while one runs for the bot. */
  async repair(
    nameOrId: string,
    options: { actor: string; dryRun?: boolean; cause?: string },
  ): Promise<RepairRecord> {
    const bot = await requireBot(this.deps.store, nameOrId);
    const now = new Date(this.now()).toISOString();
    return this.begin(bot, {
      request: {
        trigger: "manual",
        cause: options.cause ?? `requested by ${options.actor}`,
        faultAt: now,
        detectedAt: now,
      },
      startedBy: options.actor,
      dryRun: options.dryRun ?? this.settings.dryRun,
    });
  }

  async list(query: { bot?: string; limit?: number } = {}): Promise<RepairRecord[]> {
    const botId = query.bot ? (await requireBot(this.deps.store, query.bot)).id : undefined;
    return this.deps.store.listRepairs({
      ...(botId ? { botId } : {}),
      ...(query.limit ? { limit: query.limit } : {}),
    });
  }

  async stats(bot?: string): Promise<RepairStats> {
    return computeRepairStats(await this.list({ ...(bot ? { bot } : {}), limit: 1000 }));
  }

  async pause(bot: string | null, actor: string, reason: string): Promise<RepairPause> {
    const botId = bot ? (await requireBot(this.deps.store, bot)).id : null;
    const pause = { botId, by: actor, reason, since: new Date(this.now()).toISOString() };
    await this.deps.store.savePause(pause);
    this.deps.bus.publish({
      type: "repair.paused",
      botId,
      actor,
      data: { reason, scope: bot ?? "fleet" },
    });
    return pause;
  }

  async resume(bot: string | null, actor: string): Promise<boolean> {
    const botId = bot ? (await requireBot(this.deps.store, bot)).id : null;
    const lifted = await this.deps.store.removePause(botId);
    if (lifted)
      this.deps.bus.publish({
        type: "repair.resumed",
        botId,
        actor,
        data: { scope: bot ?? "fleet" },
      });
    return lifted;
  }

  /** Pauses in force, and each bot's budget now. */
  async status() {
    const [pauses, bots] = await Promise.all([
      this.deps.store.listPauses(),
      this.deps.store.listBots(),
    ]);
    const budgets = await Promise.all(
      bots.map(async (bot) => {
        const verdict = await this.budget(bot);
        return {
          bot: bot.name,
          repairing: this.active.has(bot.id),
          ...(verdict.allowed
            ? { remaining: verdict.remaining, cooldownUntil: null }
            : { remaining: 0, cooldownUntil: new Date(verdict.untilMs).toISOString() }),
        };
      }),
    );
    return { enabled: this.settings.enabled, dryRun: this.settings.dryRun, pauses, budgets };
  }

  /** Whether automatic repair is paused for the bot (or the fleet), and by whom. */
  async pausedBy(botId: string): Promise<RepairPause | null> {
    const pauses = await this.deps.store.listPauses();
    return pauses.find((p) => p.botId === null || p.botId === botId) ?? null;
  }

  private onEvent(event: OpsEvent): void {
    if (!event.botId) return;
    if (event.type === "gateway.state" && event.data.to === "running") {
      this.keepKnownGood(event.botId);
    }
    const trigger = this.triggerOf(event);
    if (!trigger || !this.settings.enabled) return;
    void this.automatic(event.botId, trigger).catch((error: unknown) => {
      this.deps.log.error({ botId: event.botId, err: errorMessage(error) }, "repair.failed");
    });
  }

  /** Maps a supervisor event to a repair trigger; null when the event is not a fault. */
  private triggerOf(event: OpsEvent): Trigger | null {
    const botId = event.botId!;
    const data = event.data;
    const at = event.ts;
    if (event.type !== "gateway.state" || data.to !== "degraded") this.clearDegraded(botId, event);
    switch (event.type) {
      case "gateway.hung":
        this.hung.set(botId, {
          at: Date.parse(at),
          failingSince: typeof data.failingSince === "string" ? data.failingSince : at,
          message: typeof data.message === "string" ? data.message : "",
        });
        return null;
      case "gateway.port_conflict":
        return {
          trigger: "port_conflict",
          cause: `port ${String(data.port)} held by another process`,
          faultAt: at,
          detectedAt: at,
        };
      case "gateway.crash_loop":
        return {
          trigger: "crash_loop",
          cause: "crash loop: the supervisor stopped restarting",
          faultAt: at,
          detectedAt: at,
        };
      case "gateway.warning": {
        // A memory check that found no process raced its exit: the crash is the news.
        const memory = data.check === "rss";
        if (memory && typeof data.rssBytes !== "number") return null;
        this.warn(botId, `${String(data.check)}: ${String(data.message)}`, at);
        return memory && this.settings.restartOnMemory
          ? {
              trigger: "memory",
              cause: `memory: ${String(data.message)}`,
              faultAt: at,
              detectedAt: at,
            }
          : null;
      }
      case "gateway.state":
        return this.stateTrigger(botId, event);
      default:
        return null;
    }
  }

  /** A warning from a check (memory, slow readiness): told, deduplicated per bot and check. */
  private warn(botId: string, what: string, at: string) {
    void this.deps.store
      .findBot(botId)
      .then((bot) => {
        const name = bot?.name ?? botId;
        this.deps.notify({
          kind: "warning",
          bot: name,
          title: `${name}: ${what}`,
          lines: [],
          dedupeKey: `warning:${botId}:${what.split(":")[0]}`,
          ts: at,
        });
      })
      .catch((error: unknown) => {
        this.deps.log.warn({ botId, err: errorMessage(error) }, "repair.warning_not_sent");
      });
  }

  private stateTrigger(botId: string, event: OpsEvent): Trigger | null {
    const { data, ts } = event;
    const reason = typeof data.reason === "string" ? data.reason : "";
    if (data.to === "crashed") {
      const hang = this.hung.get(botId);
      this.hung.delete(botId);
      if (hang && Date.parse(ts) - hang.at < HANG_MEMORY_MS)
        return {
          trigger: "hung",
          cause: `hung: ${hang.message}`,
          faultAt: hang.failingSince,
          detectedAt: new Date(hang.at).toISOString(),
        };
      if (data.exitCode === 78)
        return {
          trigger: "exit_78",
          cause: `exit 78: the gateway refused to start (${reason})`,
          faultAt: ts,
          detectedAt: ts,
        };
      return { trigger: "crash", cause: `crash: ${reason}`, faultAt: ts, detectedAt: ts };
    }
    if (data.to === "failed" && reason.startsWith("cannot start:"))
      return {
        trigger: "config_invalid",
        cause: "the start gate refused the config",
        faultAt: ts,
        detectedAt: ts,
      };
    if (data.to === "degraded" && !this.degradedTimers.has(botId)) {
      const timer = setTimeout(() => {
        this.degradedTimers.delete(botId);
        const now = new Date(this.now()).toISOString();
        void this.automatic(botId, {
          trigger: "readiness",
          cause: `not ready for ${Math.round(this.settings.readinessGrace / 1000)}s: ${reason}`,
          faultAt: ts,
          detectedAt: now,
        }).catch((error: unknown) => {
          this.deps.log.error({ botId, err: errorMessage(error) }, "repair.failed");
        });
      }, this.settings.readinessGrace);
      timer.unref();
      this.degradedTimers.set(botId, timer);
    }
    return null;
  }

  private clearDegraded(botId: string, event: OpsEvent) {
    if (event.type !== "gateway.state") return;
    const timer = this.degradedTimers.get(botId);
    if (timer) clearTimeout(timer);
    this.degradedTimers.delete(botId);
  }

  /** A trigger from the supervisor: pauses, one repair at a time, then the budget. */
  private async automatic(botId: string, trigger: Trigger): Promise<void> {
    // Whatever happens to a bot while it is being repaired is that repair's business.
    if (this.active.has(botId)) return;
    const bot = await this.deps.store.findBot(botId);
    if (!bot || bot.desiredState !== "running") return;
    const pause = await this.pausedBy(botId);
    if (pause) {
      this.deps.log.info(
        { bot: bot.name, trigger: trigger.trigger, pausedBy: pause.by },
        "repair.paused_skip",
      );
      this.deps.notify({
        kind: "down",
        bot: bot.name,
        title: `${bot.name}: ${trigger.cause}`,
        lines: [
          `automatic repair is paused${pause.botId ? "" : " fleet-wide"} by ${pause.by}${pause.reason ? ` (${pause.reason})` : ""}`,
        ],
        dedupeKey: `paused:${bot.id}:${trigger.trigger}`,
        ts: trigger.detectedAt,
      });
      return;
    }
    const verdict = await this.budget(bot);
    if (!verdict.allowed) {
      if (this.announced.get(bot.id) === verdict.untilMs) return;
      this.announced.set(bot.id, verdict.untilMs);
      await this.skip(bot, trigger, verdict.reason);
      return;
    }
    await this.begin(bot, { request: trigger, startedBy: "repair", dryRun: this.settings.dryRun });
  }

  private async budget(bot: Bot) {
    const since = new Date(this.now() - 3 * 3_600_000).toISOString();
    const recent = await this.deps.store.listRepairs({ botId: bot.id, since, limit: 1000 });
    const starts = recent
      .filter((r) => r.startedBy === "repair" && !r.dryRun && r.outcome !== "skipped")
      .map((r) => Date.parse(r.startedAt));
    return checkBudget(starts, this.now(), {
      maxPerHour: this.settings.budget.maxPerHour,
      cooldownMs: this.settings.budget.cooldown,
    });
  }

  private async skip(bot: Bot, trigger: Trigger, summary: string) {
    const now = new Date(this.now()).toISOString();
    const record: RepairRecord = {
      id: randomUUID(),
      botId: bot.id,
      botName: bot.name,
      trigger: trigger.trigger,
      cause: trigger.cause,
      startedBy: "repair",
      dryRun: false,
      outcome: "skipped",
      tier: 0,
      summary,
      actions: [],
      evidence: {},
      faultAt: trigger.faultAt,
      detectedAt: trigger.detectedAt,
      startedAt: now,
      endedAt: now,
      recoveredAt: null,
    };
    await this.deps.store.saveRepair(record);
    this.announce(record);
  }

  private begin(
    bot: Bot,
    options: { request: Trigger; startedBy: string; dryRun: boolean },
  ): Promise<RepairRecord> {
    if (this.active.has(bot.id))
      throw new OpsError("CONFLICT", `a repair of ${bot.name} is already running`);
    const run = this.run(bot, {
      ...options.request,
      bot,
      startedBy: options.startedBy,
      dryRun: options.dryRun,
    }).finally(() => this.active.delete(bot.id));
    this.active.set(bot.id, run);
    return run;
  }

  private async run(bot: Bot, request: RepairRequest): Promise<RepairRecord> {
    const log = this.deps.log.child({ bot: bot.name });
    log.warn(
      { trigger: request.trigger, cause: request.cause, dryRun: request.dryRun },
      "repair.started",
    );
    this.deps.bus.publish({
      type: "repair.started",
      botId: bot.id,
      actor: request.startedBy,
      data: { trigger: request.trigger, cause: request.cause, dryRun: request.dryRun },
    });
    const env = gatewayEnv(this.deps.config.supervisor.env, bot);
    const redact = this.redactorFor(bot, env);
    const context = this.actionContext(bot, env, request, log);
    const ai = this.settings.ai;
    const record = await runRepair(request, {
      context,
      settings: this.settings,
      redact,
      save: (r) => this.deps.store.saveRepair(r),
      collectEvidence: async () =>
        collectEvidence({
          bot,
          instance: await context.gateway.instance(),
          dataDir: this.deps.config.dataDir,
          knownGood: context.knownGood,
          configProblems: context.configProblems,
          redact,
        }),
      ...(ai.enabled
        ? {
            plan: async (evidence) => {
              const facts = await buildAiContext({
                bot,
                evidence,
                store: this.deps.store,
                doctor: this.deps.doctor,
                instance: await context.gateway.instance(),
              });
              const messages = planPrompt(
                bot.name,
                this.settings.allowlist,
                redactDeep(facts, redact),
              );
              const answer = await requestPlan(
                ai,
                process.env[ai.apiKeyEnv],
                messages,
                this.aborter.signal,
              );
              if ("error" in answer)
                return { ok: false as const, reason: `AI planner: ${answer.error}` };
              const verdict = validatePlan(answer.content, {
                bot: bot.name,
                allowlist: this.settings.allowlist,
                maxActions: ai.maxActions,
              });
              if (!verdict.ok) log.warn({ reason: verdict.reason }, "repair.plan_rejected");
              return verdict.ok
                ? verdict
                : { ok: false as const, reason: `AI plan rejected: ${verdict.reason}` };
            },
          }
        : {}),
    });
    log.warn(
      { outcome: record.outcome, tier: record.tier, summary: record.summary },
      "repair.finished",
    );
    this.deps.bus.publish({
      type: "repair.finished",
      botId: bot.id,
      actor: request.startedBy,
      data: {
        id: record.id,
        outcome: record.outcome,
        tier: record.tier,
        trigger: record.trigger,
        summary: record.summary,
      },
    });
    this.announce(record);
    return record;
  }

  private announce(record: RepairRecord) {
    if (record.dryRun) return;
    const notification = repairNotification(record);
    if (notification) this.deps.notify(notification);
  }

  private actionContext(
    bot: Bot,
    env: NodeJS.ProcessEnv,
    request: RepairRequest,
    log: Logger,
  ): ActionContext {
    const { supervisor, doctor, config } = this.deps;
    const actor = request.startedBy;
    const target = (configFile: string) => ({ configFile, stateDir: bot.stateDir, bot });
    const since = Date.parse(request.detectedAt);
    return {
      bot,
      gateway: {
        instance: async () =>
          (await supervisor.instances()).find((i) => i.botId === bot.id) ?? null,
        start: (reason) => supervisor.start(bot.id, actor, reason),
        stop: (reason) => supervisor.stop(bot.id, actor, reason),
        restart: (reason) => supervisor.restart(bot.id, actor, reason),
      },
      since,
      settings: this.settings,
      env,
      async configProblems(configFile) {
        const report = await doctor.check(target(configFile), {
          speed: "fast",
          rules: CONFIG_RULES,
        });
        return report.findings
          .filter((f) => f.severity === "error")
          .map((f) => `${f.path}: ${f.message}`);
      },
      async doctorFix() {
        const report = await doctor.check(target(bot.configPath), { speed: "fast" });
        const outcome = applyFixes(bot.configPath, report.findings, { now: new Date(this.now()) });
        if (outcome.applied.length === 0)
          throw new Error("the doctor has no automatic fix for these findings");
        return {
          detail: `applied ${outcome.applied.map((f) => f.summary).join("; ")}`,
          diff: outcome.diff,
          ...(outcome.backup ? { backup: outcome.backup } : {}),
        };
      },
      async openclawFix() {
        const outcome = await doctor.openclawFix(target(bot.configPath));
        return {
          detail: `OpenClaw's doctor --fix ran in ${Math.round(outcome.durationMs / 100) / 10}s`,
          diff: outcome.diff,
          backup: outcome.backup,
        };
      },
      knownGood: knownGoodFile(config.dataDir, bot.name),
      archiveDir: path.join(config.dataDir, "archive", bot.name),
      log,
      now: () => new Date(this.now()),
      signal: this.aborter.signal,
    };
  }

  /** Masks the bot's gateway token, provider keys and every secret-named variable. */
  private redactorFor(bot: Bot, env: NodeJS.ProcessEnv) {
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON5.parse<Record<string, unknown>>(readFileSync(bot.configPath, "utf8"));
    } catch {
      // An unreadable config has no secrets to know; the patterns still apply.
    }
    return createRedactor([
      gatewayTokenFrom(parsed, env),
      ...secretsInConfig(parsed),
      ...secretsInEnv(env),
      ...secretsInEnv(process.env),
    ]);
  }

  /** Saves the config a gateway came up running with, for restore-last-good-config. */
  private keepKnownGood(botId: string) {
    void this.deps.store
      .findBot(botId)
      .then((bot) => {
        if (!bot) return;
        const text = readFileSync(bot.configPath, "utf8");
        const file = knownGoodFile(this.deps.config.dataDir, bot.name);
        let previous: string | null = null;
        try {
          previous = readFileSync(file, "utf8");
        } catch {
          // First one.
        }
        if (previous === text) return;
        mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        writeFileAtomic(file, text, 0o600);
      })
      .catch((error: unknown) => {
        this.deps.log.warn({ botId, err: errorMessage(error) }, "repair.known_good_not_saved");
      });
  }

  /** The last lines of a bot's gateway log, secrets masked. */
  async logs(nameOrId: string, lines: number): Promise<string[]> {
    const bot = await requireBot(this.deps.store, nameOrId);
    const redact = this.redactorFor(bot, gatewayEnv(this.deps.config.supervisor.env, bot));
    return tailLines(gatewayLogFile(this.deps.config.dataDir, bot.name), lines).map(redact);
  }
}

/** `<dataDir>/known-good/<bot>.json`: the config the bot's gateway last came up running with. */
export function knownGoodFile(dataDir: string, botName: string): string {
  return path.join(dataDir, "known-good", `${botName}.json`);
}
