import type { Logger } from "pino";
import type { CheckServices } from "../checks/check.js";
import type { Bot } from "../core/bot.js";
import { OpsError, isOpsError } from "../core/errors.js";
import type { GatewayInstance, GatewayState } from "../core/gateway-state.js";
import type { GatewayDriver } from "../drivers/driver.js";
import type { EventBus } from "../events/bus.js";
import type { OpenClawCommand } from "../gateway/openclaw-locate.js";
import type { Store } from "../store/store.js";
import type { ClawopsConfig } from "../config/schema.js";
import type { RestartPolicy } from "./restart-policy.js";
import { CommandQueue } from "./command-queue.js";
import { InstanceRecord } from "./instance-record.js";
import { describeDrain, drainTurns } from "./drain.js";
import { GatewayLifecycle } from "./lifecycle.js";

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
   * Chat turns the bot's gateway has in flight; null when it cannot say.
   * Absent: a planned restart does not wait.
   */
  activeTurns?(bot: Bot): Promise<number | null>;
  /**
   * Refuses a start whose config would fail (the doctor's gate): throws
   * CONFIG_INVALID. `planned`: a restart of a running gateway, checked before
   * the running one is stopped.
   */
  preflight?(bot: Bot, options?: { planned?: boolean }): Promise<void>;
  /** Told of every check run (metrics). */
  onCheck?: (bot: Bot, check: string, ok: boolean, durationMs: number) => void;
  /** What the daemon lends the checks (the canary's budget and spend); absent: those checks skip. */
  checkServices?: CheckServices;
  settings: SupervisorSettings;
  policy: RestartPolicy;
  dataDir: string;
}

/** States a `start` waits to leave before it answers. */
const SETTLING: ReadonlySet<GatewayState> = new Set(["starting", "stopping"]);
/** States of a gateway the supervisor is bringing back by itself. */
const RELAUNCHING: ReadonlySet<GatewayState> = new Set(["starting", "crashed"]);

/**
 * Runs one bot's gateway for its callers: start, stop, restart, resume after
 * a clawops restart. Commands are serialized with what the process's news
 * causes, and each answers once the gateway has settled; every state change
 * is persisted and published as `gateway.state` (`GatewayLifecycle` owns the
 * process and the restart policy).
 */
export class GatewayRunner {
  private readonly record: InstanceRecord;
  private readonly queue: CommandQueue;
  private readonly life: GatewayLifecycle;

  constructor(
    bot: Bot,
    private readonly deps: RunnerDeps,
    saved: GatewayInstance | null,
  ) {
    const log = deps.log.child({ bot: bot.name });
    this.record = new InstanceRecord(bot.id, { ...deps, log }, saved);
    this.queue = new CommandQueue(log);
    this.life = new GatewayLifecycle(bot, deps, this.record, this.queue, log);
  }

  get name(): string {
    return this.life.bot.name;
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
  async awaitRelaunch(timeoutMs: number, signal: AbortSignal): Promise<GatewayInstance> {
    // A controller of its own, released at the end: on Node 20 a signal made by
    // AbortSignal.any is kept for good (the check loop leaked that way).
    const done = new AbortController();
    const stop = () => done.abort();
    const timer = setTimeout(stop, timeoutMs);
    signal.addEventListener("abort", stop, { once: true });
    try {
      return await this.record.whenNot(RELAUNCHING, done.signal);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", stop);
    }
  }

  /** Starts the gateway unless it is already live; resolves once it has left `starting`. */
  start(actor: string, reason = "start requested"): Promise<GatewayInstance> {
    return this.command(async () => {
      if (this.life.livePid !== null) return;
      await this.life.launch(actor, reason, { fresh: true });
    });
  }

  /** Stops the gateway (SIGTERM, SIGKILL after `stopTimeout`) and any pending restart. */
  stop(actor: string, reason = "stop requested"): Promise<GatewayInstance> {
    return this.command(() => this.life.halt(actor, reason));
  }

  /**
   * Stops, then starts the gateway. A live gateway is stopped only once the
   * config it would start with passes the doctor's gate: a refused config
   * keeps the running gateway (the error says why) instead of taking it down.
   * `next` (a changed registry entry: port, config) is what that gate checks;
   * the new process starts with the registry's entry (`launch` reads it),
   * while the old one is drained, probed and stopped on its own port.
   */
  restart(actor: string, reason = "restart requested", next?: Bot): Promise<GatewayInstance> {
    return this.command(async () => {
      const pid = this.life.livePid;
      if (pid !== null) await this.checkBeforeRestart(pid, next ?? this.life.bot);
      const drained = pid === null ? null : describeDrain(await this.drain());
      const why = drained ? `${reason}, ${drained}` : reason;
      await this.life.halt(actor, why);
      await this.life.launch(actor, why, { fresh: true, restart: true });
    });
  }

  /** Waits for the chat turns in flight (at most `drainTimeout`), saying so in an event. */
  private drain() {
    const { deps } = this;
    const { settings } = deps;
    const bot = this.life.bot;
    return drainTurns(
      () => deps.activeTurns?.(bot) ?? Promise.resolve(null),
      settings.drainTimeout,
      (inFlight) =>
        this.record.publish({
          type: "gateway.draining",
          actor: "supervisor",
          data: { activeTurns: inFlight, budgetMs: settings.drainTimeout },
        }),
    );
  }

  private async checkBeforeRestart(pid: number, bot: Bot): Promise<void> {
    try {
      await this.deps.preflight?.(bot, { planned: true });
    } catch (error) {
      if (!isOpsError(error) || error.code !== "CONFIG_INVALID") throw error;
      throw new OpsError(
        "RESTART_REFUSED",
        `restart refused, the running gateway (pid ${pid}) was kept: ${error.message}`,
        { issues: error.issues, details: { ...error.details, kept: true, pid } },
      );
    }
  }

  /**
   * At daemon start: re-adopts the process a previous clawops left running,
   * or starts the gateway when its desired state is running.
   */
  resume(actor: string): Promise<GatewayInstance> {
    return this.command(() => this.life.resume(actor));
  }

  /** For `onExit: keep`: stop watching, leave the process running and its pid persisted. */
  async detach(): Promise<void> {
    await this.queue.run(() => this.life.detach());
  }

  /** Uses the latest registry entry (port, paths) from the next start on. */
  update(bot: Bot): void {
    this.life.bot = bot;
  }

  /** Runs `work` after the commands before it, then waits for a settled state. */
  private async command(work: () => Promise<void> | void): Promise<GatewayInstance> {
    await this.queue.run(work);
    await this.record.whenNot(SETTLING);
    return this.snapshot();
  }
}
