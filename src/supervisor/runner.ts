import type { Logger } from "pino";
import type { Bot } from "../core/bot.js";
import { OpsError, errorMessage, isOpsError } from "../core/errors.js";
import type { GatewayStateExtras } from "../core/events.js";
import { createRedactor } from "../core/redact.js";
import { type StartFailure, startFailureKind } from "../core/start-failure.js";
import {
  type ExitInfo,
  type GatewayInstance,
  type GatewayState,
  LIVE_STATES,
  describeExit,
} from "../core/gateway-state.js";
import type { GatewayDriver, GatewayProcess, ProcessExit } from "../drivers/driver.js";
import type { EventBus } from "../events/bus.js";
import type { OpenClawCommand } from "../gateway/openclaw-locate.js";
import type { Store } from "../store/store.js";
import { processStartedAt } from "../system/proc.js";
import { gatewayLogFile, tailLines } from "../gateway/log-file.js";
import { type RestartPolicy, decideRestart, recentFailures } from "./restart-policy.js";
import { InstanceRecord } from "./instance-record.js";
import { GatewayChecks } from "./gateway-checks.js";
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
/** States of a gateway the supervisor is bringing back by itself. */
const RELAUNCHING: ReadonlySet<GatewayState> = new Set(["starting", "crashed"]);

/**
 * Runs one bot's gateway: starts it, watches its process and checks, and
 * restarts it by the restart policy. Every state change is persisted and
 * published as `gateway.state`. Commands (start, stop, restart) are
 * serialized; each process has a generation, so news about a process that
 * was replaced or stopped on purpose is ignored.
 */
export class GatewayRunner {
  private readonly record: InstanceRecord;
  private process: GatewayProcess | null = null;
  private generation = 0;
  private backoff: NodeJS.Timeout | null = null;
  /** Failures since the gateway last ran healthy for `resetAfter`. */
  private consecutive = 0;
  private liveSince: number | null = null;
  private killReason: string | null = null;
  /** The secrets the current process was started with: the config may have changed since. */
  private launchSecrets: string[] = [];
  private readonly checks: GatewayChecks;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(
    private bot: Bot,
    private readonly deps: RunnerDeps,
    saved: GatewayInstance | null,
  ) {
    this.log = deps.log.child({ bot: bot.name });
    this.record = new InstanceRecord(bot.id, { ...deps, log: this.log }, saved);
    this.checks = new GatewayChecks({
      bot: () => this.bot,
      record: this.record,
      settings: deps.settings,
      log: this.log,
      watching: (generation) => generation === this.generation && !this.killReason,
      kill: (generation, reason) => this.kill(generation, reason),
      portConflict: (pid, cmdline) => this.portConflict(pid, cmdline),
      background: (work) => this.background(work),
    });
  }

  get name(): string {
    return this.bot.name;
  }

  snapshot(): GatewayInstance {
    return this.record.snapshot();
  }

  /**
   * Waits while the supervisor is in the middle of bringing the gateway back
   * (starting, or crashed with its restart being decided), at most
   * `timeoutMs`; resolves with the record then. A repair's restart waits for
   * the supervisor's own relaunch rather than racing it.
   */
  awaitRelaunch(timeoutMs: number, signal: AbortSignal): Promise<GatewayInstance> {
    return this.record.whenNot(
      RELAUNCHING,
      AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    );
  }

  /** Starts the gateway unless it is already live; resolves once it has left `starting`. */
  start(actor: string, reason = "start requested"): Promise<GatewayInstance> {
    return this.command(async () => {
      if (LIVE_STATES.has(this.record.now.state) && this.process) return;
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
      if (this.process && LIVE_STATES.has(this.record.now.state)) await this.checkBeforeRestart();
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
      const found = this.record.now.pid !== null;
      const wasStopping = this.record.now.state === "stopping";
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
      if (found || LIVE_STATES.has(this.record.now.state)) {
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
      this.record.release();
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

  private async settled(): Promise<void> {
    await this.record.whenNot(SETTLING);
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
      ...(options.restart ? { restarts: this.record.now.restarts + 1 } : {}),
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
      this.checks.readiness.live(liveMs, since);
      // Still `starting`: `running` means live and ready, and /readyz has not said so yet.
      await this.persist({
        reason: `live after ${liveMs}ms, waiting for /readyz`,
        version: verdict.version ?? this.record.now.version,
      });
      this.checks.start(generation, process.pid, verdict.socket);
      await this.checks.applyDegradation(generation);
    });
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
   * A start that failed before a process existed, published with its kind.
   * A missing binary or an unusable config or state dir will fail the same
   * way again: `failed`. A held port or a spawn that ran out of resources
   * goes through the restart policy like a crash.
   */
  private async startFailed(error: unknown) {
    const failure: StartFailure = {
      kind: startFailureKind(error),
      message: this.redactor()(errorMessage(error)),
    };
    if (failure.kind === "port_held") {
      const { pid, cmdline } = (error as OpsError).details as {
        pid?: number | null;
        cmdline?: string | null;
      };
      this.portConflict(pid ?? null, cmdline ?? null);
    }
    if (failure.kind === "port_held" || failure.kind === "spawn_error") {
      await this.failed({ code: null, signal: null }, failure.message, failure);
      return;
    }
    await this.setState(
      "failed",
      "supervisor",
      `cannot start: ${failure.message}`,
      { pid: null, pidStartTime: null },
      { failure },
    );
  }

  /** A process ended (or never came up): record it, then restart, back off, or give up. */
  private async failed(exit: ProcessExit, why?: string, failure?: StartFailure) {
    const generation = ++this.generation;
    const pid = this.process?.pid ?? this.record.now.pid;
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
      [...this.record.now.recentFailures.map(Date.parse), now],
      now,
    );
    const uptimeMs = this.record.now.startedAt ? now - Date.parse(this.record.now.startedAt) : null;
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
        ...(failure ? { failure } : {}),
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
        this.record.publish({
          type: "gateway.crash_loop",
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
        generation === this.generation && this.record.now.state === "backoff"
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
    this.checks.readiness.clear();
    if (!process) {
      if (this.record.now.state !== "stopped") await this.setState("stopped", actor, reason);
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
    const { pid, pidStartTime } = this.record.now;
    if (pid === null || pidStartTime === null) return null;
    return this.deps.driverFor(this.bot).attach(pid, pidStartTime);
  }

  /** Masks what the process was started with and what the bot's config and environment hold now. */
  private redactor(): (text: string) => string {
    return createRedactor([...this.launchSecrets, ...this.deps.secretsFor(this.bot)]);
  }

  private clearTimers() {
    this.checks.stop();
    if (this.backoff) clearTimeout(this.backoff);
    this.backoff = null;
  }

  private portConflict(pid: number | null, cmdline: string | null) {
    this.record.publish({
      type: "gateway.port_conflict",
      actor: "supervisor",
      data: { port: this.bot.port, pid, cmdline },
    });
  }

  /** Persists a change of state and publishes it as `gateway.state` (the live process named). */
  private setState(
    to: GatewayState,
    actor: string,
    reason: string,
    patch: Partial<GatewayInstance> = {},
    data: GatewayStateExtras = {},
  ) {
    return this.record.transition(to, actor, reason, {
      patch,
      data,
      processPid: this.process?.pid ?? null,
    });
  }

  private persist(patch: Partial<GatewayInstance>) {
    return this.record.persist(patch);
  }
}
