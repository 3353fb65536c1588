import type { Logger } from "pino";
import { CHECKS } from "../checks/index.js";
import type { CheckTarget } from "../checks/check.js";
import type { Bot } from "../core/bot.js";
import { OpsError, errorMessage, isOpsError } from "../core/errors.js";
import { createRedactor } from "../core/redact.js";
import {
  type ExitInfo,
  type GatewayInstance,
  type GatewayState,
  LIVE_STATES,
  describeExit,
  newInstance,
} from "../core/gateway-state.js";
import type { GatewayDriver, GatewayProcess, ProcessExit } from "../drivers/driver.js";
import type { EventBus } from "../events/bus.js";
import type { OpenClawCommand } from "../gateway/openclaw-cli.js";
import type { Store } from "../store/store.js";
import { type ListeningSocket, processStartedAt } from "../system/proc.js";
import { type CheckReport, runCheckLoop } from "./check-loop.js";
import { gatewayLogFile, tailLines } from "./gateway-log.js";
import { type RestartPolicy, decideRestart, recentFailures } from "./restart-policy.js";
import { ReadinessTracker } from "./readiness.js";
import { waitUntilLive } from "./wait-live.js";
import type { ClawopsConfig } from "../config/schema.js";

export type SupervisorSettings = ClawopsConfig["supervisor"];

export interface RunnerDeps {
  store: Store;
  bus: EventBus;
  log: Logger;
  driverFor(bot: Bot): GatewayDriver;
  /** The openclaw CLI that runs this bot. */
  locate(bot: Bot): Promise<OpenClawCommand>;
  /** The environment for this bot's gateway. */
  envFor(bot: Bot): NodeJS.ProcessEnv;
  /** Every secret this bot's gateway knows (from its config and environment): masked in what it printed. */
  secretsFor(bot: Bot): string[];
  /**
   * Refuses a start whose config would fail (the doctor's gate): throws
   * CONFIG_INVALID. `planned`: a restart of a running gateway, checked before
   * the running one is stopped.
   */
  preflight?(bot: Bot, options?: { planned?: boolean }): Promise<void>;
  settings: SupervisorSettings;
  policy: RestartPolicy;
  dataDir: string;
}

/** States a `start` waits to leave before it answers. */
const SETTLING: ReadonlySet<GatewayState> = new Set(["starting", "stopping"]);

/**
 * Runs one bot's gateway: starts it, watches its process and checks, and
 * restarts it by the restart policy. Every state change is persisted and
 * published as `gateway.state`. Commands (start, stop, restart) are
 * serialized; each process has a generation, so news about a process that
 * was replaced or stopped on purpose is ignored.
 */
export class GatewayRunner {
  private instance: GatewayInstance;
  private process: GatewayProcess | null = null;
  private generation = 0;
  private checks: AbortController | null = null;
  private backoff: NodeJS.Timeout | null = null;
  /** Failures since the gateway last ran healthy for `resetAfter`. */
  private consecutive = 0;
  private liveSince: number | null = null;
  private killReason: string | null = null;
  /** The secrets the current process was started with: the config may have changed since. */
  private launchSecrets: string[] = [];
  /** What the degrading checks say: starting until ready, then running or degraded. */
  private readonly readiness: ReadinessTracker;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly waiters = new Set<(release?: boolean) => void>();
  private readonly log: Logger;

  constructor(
    private bot: Bot,
    private readonly deps: RunnerDeps,
    saved: GatewayInstance | null,
  ) {
    this.instance = saved ?? newInstance(bot.id);
    this.readiness = new ReadinessTracker(deps.settings.readyTimeout);
    this.log = deps.log.child({ bot: bot.name });
  }

  get name(): string {
    return this.bot.name;
  }

  snapshot(): GatewayInstance {
    return { ...this.instance };
  }

  /** Starts the gateway unless it is already live; resolves once it has left `starting`. */
  start(actor: string, reason = "start requested"): Promise<GatewayInstance> {
    return this.command(async () => {
      if (LIVE_STATES.has(this.instance.state) && this.process) return;
      // An operator's start is a fresh start: earlier failures no longer count.
      this.consecutive = 0;
      await this.launch(actor, reason, { recentFailures: [] });
    });
  }

  /** Stops the gateway (SIGTERM, SIGKILL after `stopTimeout`) and any pending restart. */
  stop(actor: string, reason = "stop requested"): Promise<GatewayInstance> {
    return this.command(() => this.halt(actor, reason));
  }

  /**
   * Stops, then starts the gateway. A live gateway is stopped only once the
   * config it would start with passes the doctor's gate: a refused config
   * keeps the running gateway (the error says why) instead of taking it down.
   */
  restart(actor: string, reason = "restart requested"): Promise<GatewayInstance> {
    return this.command(async () => {
      if (this.process && LIVE_STATES.has(this.instance.state)) await this.checkBeforeRestart();
      await this.halt(actor, reason);
      this.consecutive = 0;
      await this.launch(actor, reason, { recentFailures: [] }, { restart: true });
    });
  }

  private async checkBeforeRestart(): Promise<void> {
    try {
      await this.deps.preflight?.(this.bot, { planned: true });
    } catch (error) {
      if (!isOpsError(error) || error.code !== "CONFIG_INVALID") throw error;
      throw new OpsError(
        "RESTART_REFUSED",
        `restart refused, the running gateway (pid ${this.process?.pid}) was kept: ${error.message}`,
        { issues: error.issues, details: { ...error.details, kept: true, pid: this.process?.pid } },
      );
    }
  }

  /**
   * At daemon start: re-adopts the process a previous clawops left running
   * (same pid and /proc start time: never a duplicate spawn), or starts the
   * gateway when its desired state is running.
   */
  resume(actor: string): Promise<GatewayInstance> {
    return this.command(async () => {
      const found = this.instance.pid !== null;
      const wasStopping = this.instance.state === "stopping";
      const process = this.attachSaved();
      if (process && (wasStopping || this.bot.desiredState === "stopped")) {
        // A stop was asked for before clawops went away: finish it, do not restart it.
        this.process = process;
        await this.halt(actor, "finishing a stop begun before clawops restarted");
        return;
      }
      if (process) {
        await this.watch(
          process,
          actor,
          `re-adopted pid ${process.pid} left running by a previous clawops`,
        );
        return;
      }
      if (found || LIVE_STATES.has(this.instance.state)) {
        await this.setState(
          "stopped",
          "supervisor",
          "the gateway process ended while clawops was not running",
          {
            pid: null,
            pidStartTime: null,
          },
        );
      }
      if (this.bot.desiredState === "running") await this.launch(actor, "desired state is running");
    });
  }

  /** For `onExit: keep`: stop watching, leave the process running and its pid persisted. */
  async detach(): Promise<void> {
    await this.enqueue(() => {
      this.generation += 1;
      this.clearTimers();
      this.process = null;
      // Whoever waits for this runner to settle would wait for ever: it is not watching anymore.
      this.releaseWaiters();
    });
  }

  /** Uses the latest registry entry (port, paths) from the next start on. */
  update(bot: Bot): void {
    this.bot = bot;
  }

  /** Runs `work` after the commands before it, then waits for a settled state. */
  private async command(work: () => Promise<void> | void): Promise<GatewayInstance> {
    await this.enqueue(work);
    await this.settled();
    return this.snapshot();
  }

  private enqueue(work: () => Promise<void> | void): Promise<void> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** For work nobody awaits (exits, timers, checks): a failure is logged, never unhandled. */
  private background(work: () => Promise<void> | void): void {
    this.enqueue(work).catch((error: unknown) => {
      this.log.error({ err: errorMessage(error) }, "gateway.supervision_failed");
    });
  }

  private releaseWaiters() {
    for (const waiter of [...this.waiters]) waiter(true);
  }

  private settled(): Promise<void> {
    if (!SETTLING.has(this.instance.state)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = (release = false) => {
        if (!release && SETTLING.has(this.instance.state)) return;
        this.waiters.delete(waiter);
        resolve();
      };
      this.waiters.add(waiter);
    });
  }

  /** Spawns the gateway; `restart`: a process that ran is one more restart (an attempt that never spawned is not). */
  private async launch(
    actor: string,
    reason: string,
    counters: Partial<GatewayInstance> = {},
    options: { restart?: boolean } = {},
  ) {
    const generation = ++this.generation;
    this.clearTimers();
    this.killReason = null;
    // The registry's latest entry (port, paths); with the store down, the one known.
    this.bot = (await this.deps.store.findBot(this.bot.id).catch(() => null)) ?? this.bot;
    await this.setState("starting", actor, reason, { ...counters, rssBytes: null, ready: null });
    const launchedAt = performance.now();
    let process: GatewayProcess;
    try {
      const openclaw = await this.deps.locate(this.bot);
      await this.deps.preflight?.(this.bot);
      this.launchSecrets = this.deps.secretsFor(this.bot);
      process = await this.deps.driverFor(this.bot).start({
        bot: this.bot,
        openclaw,
        env: this.deps.envFor(this.bot),
        logFile: gatewayLogFile(this.deps.dataDir, this.bot.name),
      });
    } catch (error) {
      if (generation !== this.generation) return;
      await this.startFailed(error);
      return;
    }
    if (generation !== this.generation) return;
    await this.watch(process, actor, null, launchedAt, {
      ...(options.restart ? { restarts: this.instance.restarts + 1 } : {}),
    });
  }

  /** Takes `process` as the bot's gateway: persists it, follows its exit, waits for it to be live. */
  private async watch(
    process: GatewayProcess,
    actor: string,
    reason: string | null,
    since = performance.now(),
    extra: Partial<GatewayInstance> = {},
  ) {
    const generation = reason === null ? this.generation : ++this.generation;
    this.process = process;
    // A re-adopted gateway has been up since its process started, not since clawops saw it.
    const startedAt = reason === null ? null : processStartedAt(process.pid);
    const patch = {
      ...extra,
      pid: process.pid,
      pidStartTime: process.startTime,
      startedAt: (startedAt ?? new Date()).toISOString(),
    };
    if (reason === null) await this.persist(patch);
    else await this.setState("starting", actor, reason, patch);
    void process.exited.then((exit) => this.exited(generation, exit));
    void this.awaitLive(generation, process, since);
  }

  private async awaitLive(generation: number, process: GatewayProcess, since: number) {
    const verdict = await waitUntilLive(
      this.bot,
      process.pid,
      this.deps.settings.startTimeout,
      () => generation !== this.generation,
      (conflict) => this.portConflict(conflict.pid, conflict.cmdline),
    );
    this.background(async () => {
      if (generation !== this.generation) return;
      if (!verdict.live) {
        this.kill(generation, verdict.reason);
        return;
      }
      const liveMs = Math.round(performance.now() - since);
      this.liveSince = Date.now();
      this.readiness.live(liveMs, since);
      // Still `starting`: `running` means live and ready, and /readyz has not said so yet.
      await this.persist({
        reason: `live after ${liveMs}ms, waiting for /readyz`,
        version: verdict.version ?? this.instance.version,
      });
      this.startChecks(generation, process, verdict.socket);
      await this.applyDegradation(generation);
    });
  }

  private startChecks(generation: number, process: GatewayProcess, socket: ListeningSocket | null) {
    this.checks?.abort();
    this.readiness.reset(
      CHECKS.filter((c) => c.gatesReadiness && this.deps.settings.checks[c.name]?.enabled).map(
        (c) => c.name,
      ),
    );
    const controller = new AbortController();
    this.checks = controller;
    const target: CheckTarget = {
      bot: this.bot,
      httpUrl: `http://127.0.0.1:${this.bot.port}`,
      pid: process.pid,
      startedAtMs: Date.now(),
      ...(socket ? { listener: socket } : {}),
    };
    for (const check of CHECKS) {
      const settings = this.deps.settings.checks[check.name];
      if (!settings?.enabled) continue;
      void runCheckLoop(check, settings, target, controller.signal, (report) =>
        this.checked(generation, report),
      );
    }
  }

  private async checked(
    generation: number,
    { check, settings, outcome, failures, failingSinceMs }: CheckReport,
  ) {
    // A process being killed has nothing more to say: its checks fail as it dies.
    if (generation !== this.generation || this.killReason) return;
    this.log.debug(
      { check: check.name, ok: outcome.ok, failures, message: outcome.message },
      "check.completed",
    );
    const facts = outcome.facts ?? {};
    const changes: Partial<GatewayInstance> = {};
    if (facts.rssBytes !== undefined) changes.rssBytes = facts.rssBytes;
    if (facts.ready !== undefined && facts.ready !== this.instance.ready)
      changes.ready = facts.ready;
    if (facts.version && facts.version !== this.instance.version) changes.version = facts.version;
    if (Object.keys(changes).length > 0) await this.persist(changes);
    if (outcome.foreign && failures === 1)
      this.portConflict(outcome.foreign.pid, outcome.foreign.cmdline);
    if (!outcome.ok)
      this.log.warn({ check: check.name, failures, message: outcome.message }, "check.failed");
    const tripped = !outcome.ok && (failures >= settings.failures || outcome.hung === true);

    if (check.effect === "degrade") {
      this.readiness.record(check.name, outcome.ok, outcome.message, tripped);
      this.background(() => this.applyDegradation(generation));
    } else if (tripped && check.effect === "restart") {
      if (failures === settings.failures || outcome.hung) {
        // The decision, when it is made: the crash that follows waits for the kernel to reap.
        this.deps.bus.publish({
          type: "gateway.hung",
          botId: this.bot.id,
          actor: "supervisor",
          data: {
            check: check.name,
            failures,
            message: outcome.message,
            pid: this.process?.pid ?? null,
            failingSince: new Date(failingSinceMs ?? Date.now()).toISOString(),
          },
        });
      }
      this.kill(
        generation,
        `hung: ${check.name} failed ${failures} times in a row (${outcome.message})`,
      );
    } else if (tripped && check.effect === "warn" && failures === settings.failures) {
      this.deps.bus.publish({
        type: "gateway.warning",
        botId: this.bot.id,
        actor: "supervisor",
        data: { check: check.name, message: outcome.message, ...facts },
      });
    }
  }

  /** Applies what the degrading checks call for (see ReadinessTracker). */
  private async applyDegradation(generation: number) {
    if (generation !== this.generation || this.killReason) return;
    const change = this.readiness.change(this.instance.state);
    if (change) await this.setState(change.to, "supervisor", change.reason, {}, change.data);
  }

  /** Kills the current process for a reason of the supervisor's; its exit then runs the restart policy. */
  private kill(generation: number, reason: string) {
    // One kill per process: later failures while it dies must not rewrite the reason.
    if (generation !== this.generation || !this.process || this.killReason) return;
    this.killReason = reason;
    this.log.warn({ pid: this.process.pid, reason }, "gateway.killing");
    void this.deps.driverFor(this.bot).stop(this.process, 0);
  }

  private exited(generation: number, exit: ProcessExit) {
    if (generation !== this.generation) return;
    this.background(() => (generation === this.generation ? this.failed(exit) : undefined));
  }

  /**
   * A start that failed before a process existed. A missing binary or an
   * unusable config or state dir will fail the same way again: `failed`.
   * Anything else (a held port, a spawn that ran out of resources) goes
   * through the restart policy like a crash.
   */
  private async startFailed(error: unknown) {
    const message = this.redactor()(errorMessage(error));
    const code = isOpsError(error) ? error.code : "INTERNAL";
    if (code === "PORT_IN_USE") {
      const details = (error as OpsError).details as {
        pid?: number | null;
        cmdline?: string | null;
      };
      this.portConflict(details.pid ?? null, details.cmdline ?? null);
    }
    if (code === "CONFIG_INVALID" || code === "NOT_FOUND") {
      await this.setState("failed", "supervisor", `cannot start: ${message}`, {
        pid: null,
        pidStartTime: null,
      });
      return;
    }
    await this.failed({ code: null, signal: null }, message);
  }

  /** A process ended (or never came up): record it, then restart, back off, or give up. */
  private async failed(exit: ProcessExit, why?: string) {
    const generation = ++this.generation;
    const pid = this.process?.pid ?? this.instance.pid;
    this.clearTimers();
    this.process = null;
    const now = Date.now();
    const { policy } = this.deps;
    if (this.liveSince !== null && now - this.liveSince >= policy.resetAfterMs)
      this.consecutive = 0;
    this.liveSince = null;
    this.consecutive += 1;
    const failuresMs = recentFailures(
      policy,
      [...this.instance.recentFailures.map(Date.parse), now],
      now,
    );
    const uptimeMs = this.instance.startedAt ? now - Date.parse(this.instance.startedAt) : null;
    // Masked here, where it is captured: the tail is stored, served, printed and sent in events.
    const redact = this.redactor();
    const lastExit: ExitInfo = {
      code: exit.code,
      signal: exit.signal,
      reason: redact(why ?? this.killReason ?? describeExit(exit.code, exit.signal)),
      at: new Date(now).toISOString(),
      logTail: tailLines(gatewayLogFile(this.deps.dataDir, this.bot.name), 20).map(redact),
    };
    await this.setState(
      "crashed",
      "supervisor",
      lastExit.reason,
      {
        pid: null,
        pidStartTime: null,
        lastExit,
        recentFailures: failuresMs.map((t) => new Date(t).toISOString()),
      },
      {
        pid,
        exitCode: exit.code,
        signal: exit.signal,
        uptimeMs,
        // When the process was last known alive: a crash's fault time, for time-to-detect.
        ...(exit.aliveAt ? { aliveAt: new Date(exit.aliveAt).toISOString() } : {}),
      },
    );
    const decision = decideRestart(policy, {
      failuresMs,
      consecutive: this.consecutive,
      exitCode: exit.code,
      nowMs: now,
    });
    if (decision.action === "fail") {
      await this.setState("failed", "supervisor", decision.reason);
      if (decision.escalate) {
        this.deps.bus.publish({
          type: "gateway.crash_loop",
          botId: this.bot.id,
          actor: "supervisor",
          data: { failures: failuresMs.length, windowMs: policy.crashLoopWindowMs, lastExit },
        });
      }
      return;
    }
    if (decision.delayMs === 0) {
      await this.launch("supervisor", `restart after ${lastExit.reason}`, {}, { restart: true });
      return;
    }
    await this.setState(
      "backoff",
      "supervisor",
      `restarting in ${decision.delayMs}ms (failure ${decision.attempt} in a row)`,
      {},
      { delayMs: decision.delayMs },
    );
    this.backoff = setTimeout(() => {
      this.background(() =>
        generation === this.generation && this.instance.state === "backoff"
          ? this.launch("supervisor", `restart after ${lastExit.reason}`, {}, { restart: true })
          : undefined,
      );
    }, decision.delayMs);
  }

  private async halt(actor: string, reason: string) {
    this.generation += 1;
    this.clearTimers();
    const process = this.process ?? this.attachSaved();
    this.process = null;
    this.liveSince = null;
    this.readiness.clear();
    if (!process) {
      if (this.instance.state !== "stopped") await this.setState("stopped", actor, reason);
      return;
    }
    await this.setState("stopping", actor, reason);
    const exit = await this.deps.driverFor(this.bot).stop(process, this.deps.settings.stopTimeout);
    await this.setState(
      "stopped",
      actor,
      reason,
      { pid: null, pidStartTime: null },
      {
        exitCode: exit.code,
        signal: exit.signal,
      },
    );
  }

  /** The persisted process, when it still runs (a clawops without a daemon stopping a kept gateway). */
  private attachSaved(): GatewayProcess | null {
    const { pid, pidStartTime } = this.instance;
    if (pid === null || pidStartTime === null) return null;
    return this.deps.driverFor(this.bot).attach(pid, pidStartTime);
  }

  /** Masks what the process was started with and what the bot's config and environment hold now. */
  private redactor(): (text: string) => string {
    return createRedactor([...this.launchSecrets, ...this.deps.secretsFor(this.bot)]);
  }

  private clearTimers() {
    this.checks?.abort();
    this.checks = null;
    if (this.backoff) clearTimeout(this.backoff);
    this.backoff = null;
  }

  private portConflict(pid: number | null, cmdline: string | null) {
    this.deps.bus.publish({
      type: "gateway.port_conflict",
      botId: this.bot.id,
      actor: "supervisor",
      data: { port: this.bot.port, pid, cmdline },
    });
  }

  /** Persists a change of state and publishes it as `gateway.state`, with the time spent in the previous state. */
  private async setState(
    to: GatewayState,
    actor: string,
    reason: string,
    patch: Partial<GatewayInstance> = {},
    data: Record<string, unknown> = {},
  ) {
    const from = this.instance.state;
    const inStateMs = Date.now() - Date.parse(this.instance.stateSince);
    const now = new Date().toISOString();
    this.instance = {
      ...this.instance,
      ...patch,
      state: to,
      reason,
      stateSince: now,
      updatedAt: now,
    };
    this.deps.bus.publish({
      type: "gateway.state",
      botId: this.bot.id,
      actor,
      ts: now,
      data: {
        from,
        to,
        reason,
        pid: this.instance.pid ?? this.process?.pid ?? null,
        inStateMs,
        ...data,
      },
    });
    this.log.info({ from, to, reason, pid: this.instance.pid }, "gateway.state");
    for (const waiter of [...this.waiters]) waiter();
    await this.save();
  }

  private async persist(patch: Partial<GatewayInstance>) {
    this.instance = { ...this.instance, ...patch, updatedAt: new Date().toISOString() };
    await this.save();
  }

  /** A store outage must not stop supervision: the state lives on in memory and is saved next time. */
  private async save() {
    try {
      await this.deps.store.saveInstance(this.instance);
    } catch (error) {
      this.log.error({ err: errorMessage(error) }, "gateway.state_not_saved");
    }
  }
}
