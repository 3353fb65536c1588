import { existsSync } from "node:fs";
import type { Logger } from "pino";
import type { CheckServices } from "../checks/check.js";
import type { ClawopsConfig } from "../config/schema.js";
import type { Bot, Driver } from "../core/bot.js";
import type { GatewayDriver } from "../drivers/driver.js";
import { OpsError, errorMessage } from "../core/errors.js";
import { forEachBounded } from "../core/limit.js";
import { startError } from "../core/start-failure.js";
import { type GatewayInstance, LIVE_STATES } from "../core/gateway-state.js";
import { createDrivers } from "../drivers/index.js";
import { gatewayEnv, gatewaySecrets } from "../gateway/environment.js";
import type { EventBus } from "../events/bus.js";
import { requireBot } from "../fleet/registry.js";
import { type OpenClawCommand } from "../gateway/openclaw-locate.js";
import type { Store } from "../store/store.js";
import { gatewayLogFile, rotateLog } from "../gateway/log-file.js";
import type { RestartPolicy } from "./restart-policy.js";
import { GatewayRunner, type RunnerDeps } from "./runner.js";
import { locateConfiguredOpenClaw, openClawLookupKey } from "../runtime/runtimes.js";

export interface SupervisorDeps {
  config: ClawopsConfig;
  store: Store;
  bus: EventBus;
  log: Logger;
  /** How often an adopted process is polled for its exit (default 100 ms). */
  pollMs?: number;
  /** Checks a bot's config before each start (the doctor's gate); absent: no check. */
  preflight?: (bot: Bot, options?: { planned?: boolean }) => Promise<void>;
  /** Chat turns a bot's gateway has in flight (a planned restart waits for them); absent: none known. */
  activeTurns?: (bot: Bot) => Promise<number | null>;
  /** What the checks may use of clawops's other parts (the canary's budget and spend). */
  checkServices?: CheckServices;
  /** The drivers to use instead of the standard ones (a benchmark times them). */
  drivers?: Record<Driver, GatewayDriver>;
  /** Told of every check run, with its duration in ms (metrics). */
  onCheck?: (bot: Bot, check: string, ok: boolean, durationMs: number) => void;
  /**
   * This daemon's host (docs/hosts.md): it supervises only the bots this
   * host runs and refuses commands for another host's. Absent: every bot.
   */
  host?: string;
}

export interface LifecycleOptions {
  /** Why, for the state's reason and the event. */
  reason?: string;
  /** A repair's stop or start is a step, not an operator's wish: the desired state stays as it is. */
  keepDesired?: boolean;
}

/**
 * The fleet's supervisor: one `GatewayRunner` per bot, created on first use.
 * Lifecycle commands also record the bot's desired state, so that the next
 * `clawops up` brings back what the operator asked for.
 */
export class Supervisor {
  private readonly runners = new Map<string, GatewayRunner>();
  private readonly located = new Map<string, Promise<OpenClawCommand>>();
  private readonly deps: RunnerDeps;
  /** Ends the watchers of adopted processes once the supervisor is shut down. */
  private readonly closing = new AbortController();
  private resumed = false;
  /**
   * Bots resumeAll has still to take over (a staggered start takes a while):
   * the reconcile leaves them to it, or it would start them itself, unbounded,
   * and resumeAll would then adopt its own children as strangers' processes.
   */
  private readonly resuming = new Set<string>();

  constructor(private readonly options: SupervisorDeps) {
    const { config } = options;
    const drivers =
      options.drivers ??
      createDrivers({
        signal: this.closing.signal,
        ...(options.pollMs ? { pollMs: options.pollMs } : {}),
      });
    const restart = config.supervisor.restart;
    const policy: RestartPolicy = {
      initialDelayMs: restart.initialDelay,
      maxDelayMs: restart.maxDelay,
      resetAfterMs: restart.resetAfter,
      crashLoopFailures: restart.crashLoopFailures,
      crashLoopWindowMs: restart.crashLoopWindow,
    };
    this.deps = {
      store: options.store,
      bus: options.bus,
      log: options.log,
      driverFor: (bot) => drivers[bot.driver],
      locate: (bot) => this.locate(bot),
      envFor: (bot) => gatewayEnv(config.supervisor.env, bot),
      secretsFor: (bot) => gatewaySecrets(config.supervisor.env, bot),
      ...(options.preflight ? { preflight: options.preflight } : {}),
      ...(options.activeTurns ? { activeTurns: options.activeTurns } : {}),
      ...(options.onCheck ? { onCheck: options.onCheck } : {}),
      ...(options.checkServices ? { checkServices: options.checkServices } : {}),
      settings: config.supervisor,
      policy,
      dataDir: config.dataDir,
    };
  }

  /**
   * At daemon start: re-adopts what is still running and starts what should
   * run, this host's bots only, at most `supervisor.startConcurrency` at once
   * (a boot takes seconds and a core: a small host booting all at once
   * thrashes). Gateways that were live resume first: re-adopting them is quick.
   */
  async resumeAll(): Promise<void> {
    const [bots, saved] = await Promise.all([
      this.options.store.listBots(this.scope()),
      this.options.store.listInstances(),
    ]);
    const byBot = new Map(saved.map((i) => [i.botId, i]));
    for (const bot of bots) this.resuming.add(bot.id);
    this.resumed = true;
    const quickFirst = [...bots].sort(
      (a, b) => Number(!quickToResume(a, byBot)) - Number(!quickToResume(b, byBot)),
    );
    await forEachBounded(
      quickFirst,
      this.options.config.supervisor.startConcurrency,
      async (bot) => {
        const runner = this.runnerOf(bot, byBot.get(bot.id) ?? null);
        try {
          await runner.resume("daemon");
        } catch (error) {
          this.options.log.error(
            { bot: bot.name, err: errorMessage(error) },
            "gateway.resume_failed",
          );
        } finally {
          this.resuming.delete(bot.id);
        }
      },
    );
  }

  /** The bots this supervisor runs: its host's, or all without a host. */
  private scope(): { host?: string } {
    return this.options.host === undefined ? {} : { host: this.options.host };
  }

  start(nameOrId: string, actor: string, options: LifecycleOptions = {}) {
    return this.lifecycle("start", nameOrId, actor, options);
  }

  stop(nameOrId: string, actor: string, options: LifecycleOptions = {}) {
    return this.lifecycle("stop", nameOrId, actor, options);
  }

  restart(nameOrId: string, actor: string, options: LifecycleOptions = {}) {
    return this.lifecycle("restart", nameOrId, actor, options);
  }

  /** Every bot's gateway as the supervisor sees it now (the store's copy for bots it does not run). */
  async instances(): Promise<GatewayInstance[]> {
    const saved = await this.options.store.listInstances();
    return saved.map((i) => this.runners.get(i.botId)?.snapshot() ?? i);
  }

  /**
   * The gateways this supervisor runs: this host's (docs/hosts.md), every
   * bot's without a host scope. What the ingest follows and the metrics count.
   */
  async ownInstances(): Promise<GatewayInstance[]> {
    const all = await this.instances();
    return this.options.host === undefined ? all : all.filter((i) => this.runners.has(i.botId));
  }

  /**
   * Waits while the supervisor brings the bot's gateway back by itself
   * (starting, or crashed with its restart being decided), at most
   * `timeoutMs`, on its own state changes rather than by polling; the
   * gateway as it is then (null when the supervisor does not run it).
   */
  async awaitRelaunch(
    botId: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<GatewayInstance | null> {
    const runner = this.runners.get(botId);
    return runner ? runner.awaitRelaunch(timeoutMs, signal) : this.instance(botId);
  }

  /** One bot's gateway as the supervisor sees it now; null when it never had one. */
  async instance(botId: string): Promise<GatewayInstance | null> {
    return this.runners.get(botId)?.snapshot() ?? (await this.options.store.getInstance(botId));
  }

  /** Rotates every supervised gateway's log that grew past `supervisor.logs.maxBytes`. */
  rotateLogs(): void {
    const { maxBytes, keep } = this.options.config.supervisor.logs;
    for (const runner of this.runners.values()) {
      rotateLog(gatewayLogFile(this.options.config.dataDir, runner.name), maxBytes, keep);
    }
  }

  /** On daemon exit: stop every gateway (`onExit: stop`) or leave them running for the next clawops to adopt. */
  async shutdown(): Promise<void> {
    const keep = this.options.config.supervisor.onExit === "keep";
    await Promise.all(
      [...this.runners.values()].map((runner) =>
        keep ? runner.detach() : runner.stop("daemon", "clawops is stopping"),
      ),
    );
    this.closing.abort();
  }

  /**
   * Follows registry changes made outside the daemon (the CLI writes the store
   * directly): starts new bots whose desired state is running, and stops the
   * gateways of bots that were removed.
   */
  async reconcile(actor: string): Promise<void> {
    // Before resumeAll has taken over the persisted gateways, a start here would spawn duplicates.
    if (!this.resumed) return;
    const bots = await this.options.store.listBots(this.scope());
    const known = new Set(bots.map((b) => b.id));
    for (const [id, runner] of this.runners) {
      if (!known.has(id)) {
        await runner.stop(actor, "bot removed from the registry");
        this.runners.delete(id);
      }
    }
    for (const bot of bots) {
      if (this.runners.has(bot.id) || this.resuming.has(bot.id) || bot.desiredState !== "running")
        continue;
      const runner = this.runnerOf(bot, await this.options.store.getInstance(bot.id));
      void runner.start(actor, "registered with desired state running").catch((error: unknown) => {
        this.options.log.error({ bot: bot.name, err: errorMessage(error) }, "gateway.start_failed");
      });
    }
  }

  /** Records the operator's wish (unless `keepDesired`), then runs the command on the bot's runner. */
  private async lifecycle(
    command: "start" | "stop" | "restart",
    nameOrId: string,
    actor: string,
    options: LifecycleOptions,
  ): Promise<GatewayInstance> {
    const bot = options.keepDesired
      ? await this.requireOwn(nameOrId)
      : await this.desire(nameOrId, command === "stop" ? "stopped" : "running");
    // A restart takes the registry entry (a new port or config) between the old process's stop
    // and the new one's start: the old one is drained and stopped as what it is.
    if (command === "restart")
      return (await this.runner(bot, false)).restart(actor, options.reason, bot);
    return (await this.runner(bot))[command](actor, options.reason);
  }

  private async desire(nameOrId: string, desiredState: Bot["desiredState"]): Promise<Bot> {
    const bot = await this.requireOwn(nameOrId);
    if (bot.desiredState === desiredState) return bot;
    return this.options.store.updateBot(bot.id, { desiredState });
  }

  /** The bot, when this host runs it; `CONFLICT` naming its host otherwise (its daemon acts on it). */
  private async requireOwn(nameOrId: string): Promise<Bot> {
    const bot = await requireBot(this.options.store, nameOrId);
    const { host } = this.options;
    if (host !== undefined && typeof bot.host === "string" && bot.host !== host)
      throw new OpsError(
        "CONFLICT",
        `bot "${bot.name}" is run by host "${bot.host}": act on it through any daemon's API, which forwards to that host`,
        { details: { host: bot.host } },
      );
    return bot;
  }

  private async runner(bot: Bot, update = true): Promise<GatewayRunner> {
    const existing = this.runners.get(bot.id);
    if (existing) {
      if (update) existing.update(bot);
      return existing;
    }
    return this.runnerOf(bot, await this.options.store.getInstance(bot.id));
  }

  /** The bot's runner; one per bot, ever (two would each spawn a gateway). */
  private runnerOf(bot: Bot, saved: GatewayInstance | null): GatewayRunner {
    const existing = this.runners.get(bot.id);
    if (existing) return existing;
    const runner = new GatewayRunner(bot, this.deps, saved);
    this.runners.set(bot.id, runner);
    return runner;
  }

  /** Finds the bot's openclaw once (it costs a `node --version`), again when the file went away. */
  private async locate(bot: Bot): Promise<OpenClawCommand> {
    const { openclaw, dataDir } = this.options.config;
    const bin = bot.openclawBin ?? openclaw.bin;
    const key = openClawLookupKey(openclaw, bot.openclawBin, dataDir);
    const cached = this.located.get(key);
    if (cached) {
      const found = await cached.catch(() => null);
      if (found && existsSync(found.entry) && (!found.node || existsSync(found.node))) return found;
      this.located.delete(key);
    }
    const lookup = locateConfiguredOpenClaw(openclaw, bot.openclawBin, dataDir);
    this.located.set(key, lookup);
    try {
      return await lookup;
    } catch (error) {
      this.located.delete(key);
      throw startError("binary_missing", "NOT_FOUND", errorMessage(error), {
        bot: bot.name,
        bin: bin ?? null,
      });
    }
  }
}

/** A bot whose resume needs no boot: stopped by wish, or live when the last clawops left it. */
function quickToResume(bot: Bot, saved: Map<string, GatewayInstance>): boolean {
  const state = saved.get(bot.id)?.state;
  return bot.desiredState === "stopped" || (state !== undefined && LIVE_STATES.has(state));
}
