import type { Logger } from "pino";
import type { ClawopsConfig } from "../config/schema.js";
import type { Bot } from "../core/bot.js";
import { OpsError, errorMessage } from "../core/errors.js";
import type { BusEvent, EventData } from "../core/events.js";
import type { Notification } from "../core/notification.js";
import type { RepairRecord, RepairStatus } from "../core/repair.js";
import type { DoctorService } from "../doctor/service.js";
import type { EventBus } from "../events/bus.js";
import { requireBot } from "../fleet/registry.js";
import type { Store } from "../store/store.js";
import { gatewayLogFile, tailLines } from "../gateway/log-file.js";
import type { Supervisor } from "../supervisor/supervisor.js";
import { planTier3 } from "./ai-context.js";
import { botRedactor, configProblems, createActionContext, saveKnownGood } from "./bot-context.js";
import { RepairLedger } from "./ledger.js";
import { type Evidence, collectEvidence } from "./evidence.js";
import { downNotice, repairNotification } from "./messages.js";
import { type RepairRequest, newRepairRecord, runRepair } from "./pipeline.js";
import type { RepairSettings } from "./settings.js";
import { TRIGGER_RANK, type Trigger, TriggerWatch } from "./triggers.js";

/** What a repair tells as it begins and ends (logged and published). */
type RepairEvent =
  | { type: "repair.started"; data: EventData<"repair.started"> }
  | { type: "repair.finished"; data: EventData<"repair.finished"> };

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
  /** This daemon's host: only its bots' repairs are its own (docs/hosts.md). Absent: every bot's. */
  host?: string;
}

/**
 * The repair pipeline as the daemon runs it: listens to the supervisor's
 * events, opens one repair per bot at a time, applies the budget and pauses,
 * records every repair in the store and tells the operators.
 */
export class RepairService {
  private readonly settings: RepairSettings;
  private readonly active = new Map<string, Promise<RepairRecord>>();
  private readonly triggers: TriggerWatch;
  /** History, statistics, pauses and budgets: what the store knows of repairs. */
  readonly ledger: RepairLedger;
  /** Per bot, the end of the cooldown already announced (one "not repaired" message per cooldown). */
  private readonly announced = new Map<string, number>();
  private readonly aborter = new AbortController();
  private readonly now: () => number;
  private unsubscribe: (() => void) | null = null;
  private closed = false;
  /** Per bot, the trigger of an automatic repair about to begin (a more specific one replaces it). */
  private readonly pending = new Map<string, Trigger>();
  /**
   * Bots whose last repair escalated and that have not run healthy since: one
   * incident, handed to humans. What the same fault says next (the crash loop
   * it completes, the port conflicts of the supervisor's own retries) starts
   * no repair of its own until the gateway is running again.
   */
  private readonly escalated = new Set<string>();

  constructor(private readonly deps: RepairServiceDeps) {
    this.settings = deps.config.repair;
    this.now = deps.now ?? Date.now;
    this.ledger = new RepairLedger({ ...deps, settings: this.settings, now: this.now });
    this.triggers = new TriggerWatch({
      readinessGraceMs: this.settings.readinessGrace,
      restartOnMemory: this.settings.restartOnMemory,
      onTrigger: (botId, trigger) => this.onTrigger(botId, trigger),
      onWarning: (botId, what, at) => this.warn(botId, what, at),
    });
  }

  /**
   * Starts following the supervisor's events; repairs a stopped clawops left
   * running are marked interrupted: this host's bots' only, another host's
   * daemon may be repairing its own right now.
   */
  async start(): Promise<void> {
    this.unsubscribe = this.deps.bus.subscribe((event) => this.onEvent(event));
    const { host } = this.deps;
    const own =
      host === undefined
        ? null
        : new Set((await this.deps.store.listBots({ host })).map((bot) => bot.id));
    const mine = (botId: string) => own === null || own.has(botId);
    const recent = (await this.deps.store.listRepairs({ limit: 1000 })).filter((r) =>
      mine(r.botId),
    );
    // An incident a previous clawops escalated stays open while its gateway is not running.
    const instances = (await this.deps.supervisor.instances()).filter((i) => mine(i.botId));
    for (const instance of instances) {
      const last = recent.find((r) => r.botId === instance.botId && r.outcome !== "skipped");
      if (last?.outcome === "escalated" && instance.state !== "running")
        this.escalated.add(instance.botId);
    }
    const left = recent.filter((r) => r.outcome === "running");
    const now = new Date(this.now()).toISOString();
    for (const record of left) {
      await this.deps.store.saveRepair({
        ...record,
        outcome: "interrupted",
        endedAt: now,
        summary: "interrupted: clawops stopped during the repair",
      });
    }
  }

  /**
   * Stops listening and starting repairs; repairs in progress are told to
   * stop (they end `interrupted` at their next step) and awaited up to `graceMs`.
   */
  async close(graceMs = 15_000): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    this.triggers.close();
    this.aborter.abort();
    const settled = Promise.allSettled([...this.active.values()]);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([settled, grace]);
    clearTimeout(timer);
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
      dryRun: options.dryRun ?? false,
    });
  }

  /**
   * Pauses in force, and each bot's budget now; with `org`, that
   * organisation's bots and their pauses (and the fleet-wide one, which holds them too).
   */
  async status(org?: string): Promise<RepairStatus> {
    const [allPauses, bots] = await Promise.all([
      this.deps.store.listPauses(),
      this.deps.store.listBots(org !== undefined ? { org } : {}),
    ]);
    const ids = new Set(bots.map((bot) => bot.id));
    const pauses =
      org === undefined
        ? allPauses
        : allPauses.filter((pause) => pause.botId === null || ids.has(pause.botId));
    const budgets = await Promise.all(
      bots.map(async (bot) => {
        const verdict = await this.ledger.budget(bot);
        return {
          bot: bot.name,
          repairing: this.active.has(bot.id),
          ...(verdict.allowed
            ? { remaining: verdict.remaining, cooldownUntil: null }
            : { remaining: 0, cooldownUntil: new Date(verdict.untilMs).toISOString() }),
        };
      }),
    );
    const { maxPerHour, cooldown: cooldownMs } = this.settings.budget;
    return {
      enabled: this.settings.enabled,
      dryRun: this.settings.dryRun,
      budget: { maxPerHour, cooldownMs },
      pauses,
      budgets,
    };
  }

  private onEvent(event: BusEvent): void {
    if (!event.botId) return;
    // Running again closes the incident: the next fault is a new one.
    if (event.type === "gateway.state" && event.data.to === "running")
      this.escalated.delete(event.botId);
    // A new process that came up (not a readiness flip, not a re-adoption) booted its config.
    if (
      event.type === "gateway.state" &&
      event.data.from === "starting" &&
      event.data.to === "running"
    )
      this.keepKnownGood(event.botId);
    const trigger = this.triggers.handle(event);
    if (trigger) this.onTrigger(event.botId, trigger);
  }

  private onTrigger(botId: string, trigger: Trigger): void {
    if (!this.settings.enabled) {
      this.tellAbout(botId, (name) =>
        downNotice(name, botId, trigger, "automatic repair is off (repair.enabled)"),
      );
      return;
    }
    void this.automatic(botId, trigger).catch((error: unknown) => {
      this.deps.log.error({ botId, err: errorMessage(error) }, "repair.failed");
    });
  }

  /** A warning from a check (memory, slow readiness): told, deduplicated per bot and check. */
  private warn(botId: string, what: string, at: string) {
    this.tellAbout(botId, (name) => ({
      kind: "warning",
      bot: name,
      title: `${name}: ${what}`,
      lines: [],
      dedupeKey: `warning:${botId}:${what.split(":")[0]}`,
      ts: at,
    }));
  }

  /** Events carry the bot's id; operators read its name (the id when the bot is gone). */
  private tellAbout(botId: string, notice: (name: string) => Notification) {
    void this.deps.store
      .findBot(botId)
      .then((bot) => this.deps.notify(notice(bot?.name ?? botId)))
      .catch((error: unknown) => {
        this.deps.log.warn({ botId, err: errorMessage(error) }, "repair.notice_not_sent");
      });
  }

  /** A trigger from the supervisor: pauses, one repair at a time, then the budget. */
  private async automatic(botId: string, trigger: Trigger): Promise<void> {
    // Whatever happens to a bot while it is being repaired is that repair's business.
    if (this.closed || this.active.has(botId)) return;
    if (this.escalated.has(botId)) {
      this.deps.log.info({ botId, trigger: trigger.trigger }, "repair.incident_open");
      return;
    }
    // One fault often says so twice (a crash, then the crash loop it completes; a held
    // port, then the failed start): the first reserves the bot, the most specific wins.
    const waiting = this.pending.get(botId);
    if (waiting) {
      if (TRIGGER_RANK[trigger.trigger] > TRIGGER_RANK[waiting.trigger])
        this.pending.set(botId, trigger);
      return;
    }
    this.pending.set(botId, trigger);
    try {
      await this.admit(botId);
    } finally {
      this.pending.delete(botId);
    }
  }

  /** Pauses, then the budget, then the repair of the bot's pending trigger. */
  private async admit(botId: string): Promise<void> {
    const bot = await this.deps.store.findBot(botId);
    if (!bot || bot.desiredState !== "running") return;
    const pause = await this.ledger.pausedBy(botId);
    const verdict = pause ? null : await this.ledger.budget(bot);
    const trigger = this.pending.get(botId)!;
    if (this.closed || this.active.has(botId)) return;
    if (pause) {
      this.deps.log.info(
        { bot: bot.name, trigger: trigger.trigger, pausedBy: pause.by },
        "repair.paused_skip",
      );
      const why = `automatic repair is paused${pause.botId ? "" : " fleet-wide"} by ${pause.by}${pause.reason ? ` (${pause.reason})` : ""}`;
      this.deps.notify(downNotice(bot.name, bot.id, trigger, why));
      return;
    }
    if (!verdict!.allowed) {
      if (this.announced.get(bot.id) === verdict!.untilMs) return;
      this.announced.set(bot.id, verdict!.untilMs);
      await this.skip(bot, trigger, verdict!.reason);
      return;
    }
    // Not awaited: the bot's slot is taken (begin is synchronous up to there); the pending trigger goes.
    this.begin(bot, { request: trigger, startedBy: "repair", dryRun: this.settings.dryRun }).catch(
      (error: unknown) => {
        this.deps.log.error({ bot: bot.name, err: errorMessage(error) }, "repair.failed");
      },
    );
  }

  private async skip(bot: Bot, trigger: Trigger, summary: string) {
    const now = new Date(this.now()).toISOString();
    const request = { ...trigger, bot, startedBy: "repair", dryRun: false };
    const record: RepairRecord = {
      ...newRepairRecord(request, now),
      outcome: "skipped",
      summary,
      endedAt: now,
    };
    await this.deps.store.saveRepair(record);
    this.announce(record);
  }

  private begin(
    bot: Bot,
    options: { request: Trigger; startedBy: string; dryRun: boolean },
  ): Promise<RepairRecord> {
    if (this.closed) throw new OpsError("UNAVAILABLE", "clawops is stopping: no new repairs");
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
    const tell = (event: RepairEvent) => {
      log.info(event.data, event.type);
      this.deps.bus.publish({ ...event, botId: bot.id, actor: request.startedBy });
    };
    tell({
      type: "repair.started",
      data: { trigger: request.trigger, cause: request.cause, dryRun: request.dryRun },
    });
    const redact = botRedactor(bot, this.deps.config.supervisor.env, this.deps.config.dataDir);
    const context = this.actionContext(bot, request);
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
      ...(this.settings.ai.enabled
        ? {
            plan: (evidence: Evidence) =>
              planTier3({
                bot,
                evidence,
                redact,
                log,
                settings: this.settings,
                store: this.deps.store,
                doctor: this.deps.doctor,
                supervisor: this.deps.supervisor,
                signal: this.aborter.signal,
              }),
          }
        : {}),
    });
    if (record.outcome === "escalated") this.escalated.add(bot.id);
    tell({
      type: "repair.finished",
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

  private actionContext(bot: Bot, request: RepairRequest) {
    return createActionContext({
      bot,
      actor: request.startedBy,
      // A process started after this is a new instance. Process times are wall-clock
      // times; the injected clock is the budget's.
      sinceMs: request.trigger === "manual" ? Date.now() : Date.parse(request.detectedAt),
      requireReady: request.trigger === "readiness",
      settings: this.settings,
      dataDir: this.deps.config.dataDir,
      supervisor: this.deps.supervisor,
      store: this.deps.store,
      doctor: this.deps.doctor,
      now: this.now,
      signal: this.aborter.signal,
    });
  }

  /** Saves the config a gateway came up running with, for restore-last-good-config. */
  private keepKnownGood(botId: string) {
    void this.deps.store
      .findBot(botId)
      .then(async (bot) => {
        if (!bot) return;
        // OpenClaw hot-reloads edits: the file may no longer be what booted. Only a valid one is kept.
        const problems = await configProblems(this.deps.doctor, bot, bot.configPath);
        if (problems.length === 0) saveKnownGood(this.deps.config.dataDir, bot);
      })
      .catch((error: unknown) => {
        this.deps.log.warn({ botId, err: errorMessage(error) }, "repair.known_good_not_saved");
      });
  }

  /** The last lines of a bot's gateway log, secrets masked. */
  async logs(nameOrId: string, lines: number): Promise<string[]> {
    const bot = await requireBot(this.deps.store, nameOrId);
    const redact = botRedactor(bot, this.deps.config.supervisor.env, this.deps.config.dataDir);
    return tailLines(gatewayLogFile(this.deps.config.dataDir, bot.name), lines).map(redact);
  }
}
