import type { Logger } from "pino";
import { canary } from "../checks/canary.js";
import { CHECKS } from "../checks/index.js";
import type { CanaryFacts, CheckServices, CheckTarget } from "../checks/check.js";
import type { Bot } from "../core/bot.js";
import { type GatewayInstance, withRssSample } from "../core/gateway-state.js";
import { type ListeningSocket, isRunningProcess } from "../system/proc.js";
import { type CheckReport, runCheckLoop } from "./check-loop.js";
import type { InstanceRecord } from "./instance-record.js";
import { ReadinessTracker } from "./readiness.js";
import type { SupervisorSettings } from "./runner.js";

/** What the checks of one gateway need from its runner. */
export interface ChecksHost {
  bot(): Bot;
  record: InstanceRecord;
  settings: SupervisorSettings;
  log: Logger;
  /** Whether `generation` is still the process being watched (not replaced, stopped or being killed). */
  watching(generation: number): boolean;
  /** Kills the process for a reason of the supervisor's; its exit runs the restart policy. */
  kill(generation: number, reason: string): void;
  portConflict(pid: number | null, cmdline: string | null): void;
  /** Runs `work` in the runner's queue; a failure is logged. */
  background(work: () => Promise<void> | void): void;
  /** Told of every check run (metrics); absent: nobody is. */
  onCheck?: (bot: Bot, check: string, ok: boolean, durationMs: number) => void;
  /** What the daemon lends the checks (the canary's budget and spend); absent: those checks skip. */
  services?: CheckServices;
}

/**
 * The checks of one live gateway process and what their results do: figures
 * saved, a `restart` check that trips kills a hung process (`gateway.hung`),
 * a `warn` check publishes `gateway.warning`, the `degrade` checks move the
 * gateway between running and degraded (never a restart by themselves).
 */
export class GatewayChecks {
  private controller: AbortController | null = null;
  /** What the degrading checks say: starting until ready, then running or degraded. */
  readonly readiness: ReadinessTracker;

  constructor(private readonly host: ChecksHost) {
    this.readiness = new ReadinessTracker(host.settings.readyTimeout);
  }

  /** Starts every enabled check on the live process of `generation`. */
  start(generation: number, pid: number, socket: ListeningSocket | null): void {
    this.stop();
    const { settings } = this.host;
    const bot = this.host.bot();
    const runs = CHECKS.filter((c) => {
      const checkSettings = settings.checks[c.name];
      return checkSettings?.enabled && (c.appliesTo?.(bot, checkSettings) ?? true);
    });
    this.readiness.reset(runs.filter((c) => c.gatesReadiness).map((c) => c.name));
    const controller = new AbortController();
    this.controller = controller;
    const target: CheckTarget = {
      bot,
      httpUrl: `http://127.0.0.1:${bot.port}`,
      pid,
      startedAtMs: Date.now(),
      ...(socket ? { listener: socket } : {}),
      ...(this.host.services ? { services: this.host.services } : {}),
    };
    for (const check of runs) {
      const checkSettings = settings.checks[check.name]!;
      void runCheckLoop(check, checkSettings, target, controller.signal, (report) =>
        this.checked(generation, report),
      );
    }
  }

  stop(): void {
    this.controller?.abort();
    this.controller = null;
  }

  /** Applies what the degrading checks call for (see ReadinessTracker). */
  async applyDegradation(generation: number): Promise<void> {
    if (!this.host.watching(generation)) return;
    const change = this.readiness.change(this.host.record.now.state);
    // A check that failed because the process just died (kill -9: its socket reset) is no
    // degradation: the exit, reported a moment later, is the news ("running → crashed").
    const { pid } = this.host.record.now;
    if (change?.to === "degraded" && pid !== null && !isRunningProcess(pid)) return;
    if (change)
      await this.host.record.transition(change.to, "supervisor", change.reason, {
        ...(change.data ? { data: change.data } : {}),
      });
  }

  /** Every canary run, for its metrics and the status (the daemon follows the event). */
  private publishCanary(
    run: CanaryFacts,
    message: string,
    failures: number,
    threshold: number,
  ): void {
    this.host.record.publish({
      type: "gateway.canary",
      actor: "supervisor",
      data: {
        outcome: run.outcome,
        message,
        latencyMs: run.latencyMs,
        spentTodayUsd: run.spentTodayUsd,
        failures,
        degrading: failures >= threshold,
      },
    });
  }

  private async checked(
    generation: number,
    { check, settings, outcome, failures, failingSinceMs, durationMs }: CheckReport,
  ) {
    const { host } = this;
    // A process being killed has nothing more to say: its checks fail as it dies.
    if (!host.watching(generation)) return;
    host.onCheck?.(host.bot(), check.name, outcome.ok, durationMs);
    host.log.debug(
      { check: check.name, ok: outcome.ok, failures, message: outcome.message },
      "check.completed",
    );
    const facts = outcome.facts ?? {};
    const saved = host.record.now;
    const changes: Partial<GatewayInstance> = {};
    if (facts.rssBytes !== undefined) {
      changes.rssBytes = facts.rssBytes;
      changes.rssSamples = withRssSample(saved.rssSamples, facts.rssBytes);
    }
    if (facts.ready !== undefined && facts.ready !== saved.ready) changes.ready = facts.ready;
    if (facts.version && facts.version !== saved.version) changes.version = facts.version;
    if (Object.keys(changes).length > 0) await host.record.persist(changes);
    // A canary run that overran or threw has no facts of its own: still a failed run.
    const canaryFacts: CanaryFacts | undefined =
      facts.canary ??
      (check.name === canary.name
        ? { outcome: "fail", latencyMs: null, costUsd: null, spentTodayUsd: null }
        : undefined);
    if (canaryFacts) this.publishCanary(canaryFacts, outcome.message, failures, settings.failures);
    if (outcome.foreign && failures === 1)
      host.portConflict(outcome.foreign.pid, outcome.foreign.cmdline);
    if (!outcome.ok)
      host.log.warn({ check: check.name, failures, message: outcome.message }, "check.failed");
    // The process's own evidence (no CPU while probes time out) may decide before the count.
    const tripped = !outcome.ok && (failures >= settings.failures || outcome.hung === true);

    if (check.effect === "degrade") {
      this.readiness.record(check.name, outcome.ok, outcome.message, tripped);
      host.background(() => this.applyDegradation(generation));
    } else if (tripped && check.effect === "restart") {
      if (failures === settings.failures || outcome.hung) {
        // The decision, when it is made: the crash that follows waits for the kernel to reap.
        host.record.publish({
          type: "gateway.hung",
          actor: "supervisor",
          data: {
            check: check.name,
            failures,
            message: outcome.message,
            pid: host.record.now.pid,
            failingSince: new Date(failingSinceMs ?? Date.now()).toISOString(),
          },
        });
      }
      host.kill(
        generation,
        `hung: ${check.name} failed ${failures} times in a row (${outcome.message})`,
      );
    } else if (tripped && check.effect === "warn" && failures === settings.failures) {
      const { rssBytes, ready, version, uptimeMs } = facts;
      host.record.publish({
        type: "gateway.warning",
        actor: "supervisor",
        data: { check: check.name, message: outcome.message, rssBytes, ready, version, uptimeMs },
      });
    }
  }
}
