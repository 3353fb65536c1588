import type { Logger } from "pino";
import type { Bot } from "../core/bot.js";
import { type OpsError, errorMessage } from "../core/errors.js";
import type { GatewayStateExtras } from "../core/events.js";
import { createRedactor } from "../core/redact.js";
import { type StartFailure, startFailureKind } from "../core/start-failure.js";
import { type GatewayInstance, type GatewayState, LIVE_STATES } from "../core/gateway-state.js";
import type { GatewayProcess, ProcessExit } from "../drivers/driver.js";
import { gatewayLogFile } from "../gateway/log-file.js";
import { processStartedAt } from "../system/proc.js";
import type { CommandQueue } from "./command-queue.js";
import { FailureStreak, captureExit } from "./failure-streak.js";
import { GatewayChecks } from "./gateway-checks.js";
import type { InstanceRecord } from "./instance-record.js";
import type { RunnerDeps } from "./runner.js";
import { waitUntilLive } from "./wait-live.js";

/**
 * One bot's gateway process at a time: spawns it, follows its exit and its
 * checks, and after a failure restarts it, backs off or gives up by the
 * restart policy. Each process has a generation, so news about a process
 * that was replaced or stopped on purpose is ignored. Its callers serialize
 * it (`GatewayRunner`'s queue).
 */
export class GatewayLifecycle {
  private process: GatewayProcess | null = null;
  private generation = 0;
  private killReason: string | null = null;
  /** The secrets the current process was started with: the config may have changed since. */
  private launchSecrets: string[] = [];
  private readonly streak: FailureStreak;
  private readonly checks: GatewayChecks;

  constructor(
    public bot: Bot,
    private readonly deps: RunnerDeps,
    private readonly record: InstanceRecord,
    private readonly queue: CommandQueue,
    private readonly log: Logger,
  ) {
    this.streak = new FailureStreak(deps.policy);
    this.checks = new GatewayChecks({
      bot: () => this.bot,
      record,
      settings: deps.settings,
      log,
      watching: (generation) => generation === this.generation && !this.killReason,
      kill: (generation, reason) => this.kill(generation, reason),
      portConflict: (pid, cmdline) => this.portConflict(pid, cmdline),
      background: (work) => queue.background(work),
      ...(deps.onCheck ? { onCheck: deps.onCheck } : {}),
      ...(deps.checkServices ? { services: deps.checkServices } : {}),
    });
  }

  /** The pid of its process while that is starting, live or stopping; null otherwise. */
  get livePid(): number | null {
    return this.process && LIVE_STATES.has(this.record.now.state) ? this.process.pid : null;
  }

  /**
   * Re-adopts the process a previous clawops left running (same pid and /proc
   * start time: never a duplicate spawn), or starts the gateway when its
   * desired state is running.
   */
  async resume(actor: string): Promise<void> {
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
      const why = "the gateway process ended while clawops was not running";
      await this.setState("stopped", "supervisor", why, { pid: null, pidStartTime: null });
    }
    if (this.bot.desiredState === "running") await this.launch(actor, "desired state is running");
  }

  /** Stops watching and leaves the process running, its pid persisted. */
  detach(): void {
    this.generation += 1;
    this.clearTimers();
    this.process = null;
    // Whoever waits for this gateway to settle would wait for ever: it is not watched anymore.
    this.record.release();
  }

  /**
   * Spawns the gateway and watches it. `fresh`: an operator's start, earlier
   * failures no longer count; `restart`: a process that ran is one more
   * restart (an attempt that never spawned is not).
   */
  async launch(
    actor: string,
    reason: string,
    options: { fresh?: boolean; restart?: boolean } = {},
  ) {
    const generation = ++this.generation;
    this.clearTimers();
    this.killReason = null;
    if (options.fresh) this.streak.forget();
    const counters = options.fresh ? { recentFailures: [] } : {};
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
    this.queue.background(async () => {
      if (generation !== this.generation) return;
      if (!verdict.live) {
        this.kill(generation, verdict.reason);
        return;
      }
      const liveMs = Math.round(performance.now() - since);
      this.streak.live();
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
    this.queue.background(() => (generation === this.generation ? this.failed(exit) : undefined));
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
    const { failuresMs, decision } = this.streak.count(
      now,
      this.record.now.recentFailures,
      exit.code,
    );
    const { startedAt } = this.record.now;
    const logFile = gatewayLogFile(this.deps.dataDir, this.bot.name);
    const lastExit = captureExit(exit, why ?? this.killReason, logFile, this.redactor(), now);
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
        uptimeMs: startedAt ? now - Date.parse(startedAt) : null,
        // When the process was last known alive: a crash's fault time, for time-to-detect.
        ...(exit.aliveAt ? { aliveAt: new Date(exit.aliveAt).toISOString() } : {}),
        ...(failure ? { failure } : {}),
      },
    );
    if (decision.action === "fail") {
      await this.setState("failed", "supervisor", decision.reason);
      if (decision.escalate) {
        this.record.publish({
          type: "gateway.crash_loop",
          actor: "supervisor",
          data: {
            failures: failuresMs.length,
            windowMs: this.deps.policy.crashLoopWindowMs,
            lastExit,
          },
        });
      }
      return;
    }
    const relaunch = () =>
      this.launch("supervisor", `restart after ${lastExit.reason}`, { restart: true });
    if (decision.delayMs === 0) {
      await relaunch();
      return;
    }
    await this.setState(
      "backoff",
      "supervisor",
      `restarting in ${decision.delayMs}ms (failure ${decision.attempt} in a row)`,
      {},
      { delayMs: decision.delayMs },
    );
    this.streak.later(decision.delayMs, () =>
      this.queue.background(() =>
        generation === this.generation && this.record.now.state === "backoff"
          ? relaunch()
          : undefined,
      ),
    );
  }

  /** Stops the process (SIGTERM, SIGKILL after `stopTimeout`) and any pending restart. */
  async halt(actor: string, reason: string) {
    this.generation += 1;
    this.clearTimers();
    const process = this.process ?? this.attachSaved();
    this.process = null;
    this.streak.ended();
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
    this.streak.cancel();
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
