import type { Logger } from "pino";
import type { PolicyVerdict } from "../approvals/policy.js";
import type { Bot } from "../core/bot.js";
import { OpsError, errorMessage } from "../core/errors.js";
import { EMPTY_USAGE, type Usage } from "../core/session.js";
import {
  type Task,
  type TaskOutcome,
  type TaskRun,
  attemptKeys,
  retryDelayMs,
} from "../core/task.js";
import { abortableSleep } from "../core/time.js";
import type { EventBus } from "../events/bus.js";
import { gatewayMethods } from "../gateway/methods.js";
import type { Store } from "../store/store.js";
import { type AttemptClient, type AttemptResult, CANCEL, runAttempt } from "./attempt.js";
import { publishFinished, publishMoved } from "./publish.js";

/** A connection to a bot's gateway for one attempt; closed when the attempt ends. */
export type TaskGateway = AttemptClient & { close(): void };

export interface TaskServiceDeps {
  store: Store;
  bus: EventBus;
  log: Logger;
  /** Opens a connection to the bot's gateway (throws when it cannot). */
  connect(bot: Bot): Promise<TaskGateway>;
  /** Throws when the bot may take no new work now (its budget paused it). */
  admit?(bot: Bot): Promise<void>;
  /**
   * Whether a new task runs at once, waits for a person, or is refused
   * (`approvals.tasks`, a gate its creator asked for; docs/tasks.md "Gates"). Absent: every task runs.
   */
  gate?(bot: Bot, prompt: string, requested: boolean): PolicyVerdict;
  /** Resolves once the ingest has stored what the gateways sent so far. */
  ingestIdle?(): Promise<void>;
  now?: () => number;
  /** The first retry's wait (doubling after), default 5 s. */
  retryFirstMs?: number;
  /** How long a finished attempt's usage is waited for in the ingested messages, default 5 s. */
  usageWaitMs?: number;
  /**
   * True when this daemon's host runs the bot (docs/hosts.md): only then does
   * it dispatch or follow the bot's tasks. Absent: every bot's.
   */
  ownsBot?(botId: string): Promise<boolean>;
}

/**
 * The dispatch side of the tasks: each assigned task is claimed (a
 * conditional write: one daemon, one claim), sent to its bot's agent in a
 * session of its own per attempt, followed to its end, retried with backoff
 * up to its attempts; tokens and cost come from the messages the ingest
 * keeps under the attempts' session keys. Attempts in flight when the
 * daemon stops stay in progress and are followed again at the next start
 * (their run ids are known).
 */
export class Dispatcher {
  private readonly running = new Map<string, { cancel: AbortController; done: Promise<void> }>();
  private dispatching: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();

  constructor(private readonly deps: TaskServiceDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }

  /** Cancels an attempt this daemon follows and waits for its end; false when it follows none of the task. */
  async cancelRunning(id: string): Promise<boolean> {
    const mine = this.running.get(id);
    if (!mine) return false;
    mine.cancel.abort(CANCEL);
    await mine.done;
    return true;
  }

  /** Dispatches due tasks now (serialised with other passes), without waiting for it. */
  kick(): void {
    this.dispatching = this.dispatching
      .then(() => this.dispatchDue())
      .catch((error: unknown) => {
        this.deps.log.warn({ err: errorMessage(error) }, "tasks.dispatch_failed");
      });
  }

  /** A dispatch pass, serialised with the others; resolves when it is done. */
  dispatch(): Promise<void> {
    this.kick();
    return this.dispatching;
  }

  /** One pass: claims and starts every assigned task that is due. */
  private async dispatchDue(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    for (const task of await this.deps.store.tasks.listDispatchable(this.iso())) {
      if (this.running.has(task.id) || this.stopping.signal.aborted) continue;
      if (!(await this.owns(task.botId))) continue;
      await this.claimAndStart(task);
    }
  }

  /** Follows again the attempts a stopped daemon left running (their run ids are known). */
  async resumeRunning(): Promise<void> {
    for (const task of await this.deps.store.tasks.listTasks({
      status: "in_progress",
      limit: 1000,
    })) {
      if (this.running.has(task.id) || !(await this.owns(task.botId))) continue;
      const run = (await this.deps.store.tasks.listRuns(task.id)).at(-1);
      if (!run || run.outcome !== "running") continue;
      this.track(task, run, true);
      this.deps.log.info({ task: task.id, attempt: run.attempt }, "tasks.resumed");
    }
  }

  private async owns(botId: string): Promise<boolean> {
    return this.deps.ownsBot ? this.deps.ownsBot(botId) : true;
  }

  /** Leaves attempts running on their gateways (resumed at the next start) and waits for the followers to let go. */
  async close(): Promise<void> {
    this.stopping.abort();
    for (const { cancel } of this.running.values()) cancel.abort("shutdown");
    await this.dispatching;
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  private async claimAndStart(task: Task): Promise<void> {
    const bot = await this.deps.store.findBot(task.botId);
    const runNumber = (await this.deps.store.tasks.listRuns(task.id)).length + 1;
    const { sessionKey, runId } = attemptKeys(task.id, runNumber);
    const at = this.now();
    const claimed = await this.deps.store.tasks.updateTask(
      task.id,
      {
        status: "in_progress",
        attempts: task.attempts + 1,
        sessionKey,
        nextAttemptAt: null,
        startedAt: task.startedAt ?? this.iso(at),
        updatedAt: this.iso(at),
      },
      ["assigned"],
    );
    // Another daemon (or a cancel) got there first.
    if (!claimed) return;
    const run: TaskRun = {
      taskId: task.id,
      attempt: runNumber,
      sessionKey,
      runId,
      outcome: "running",
      error: null,
      usage: { ...EMPTY_USAGE },
      startedAt: this.iso(at),
      finishedAt: null,
      durationMs: null,
    };
    await this.deps.store.tasks.saveRun(run);
    publishMoved(
      this.deps.bus,
      claimed,
      "assigned",
      `attempt ${claimed.attempts} dispatched`,
      "tasks",
    );
    if (!bot) {
      await this.finish(claimed, run, { outcome: "failed", error: "the bot was removed" }, false);
      return;
    }
    this.deps.bus.publish({
      type: "task.started",
      botId: task.botId,
      actor: "tasks",
      data: {
        id: task.id,
        attempt: claimed.attempts,
        sessionKey,
        runId,
        deadline: this.iso(at + task.timeLimitMs),
      },
    });
    this.track(claimed, run, false, bot);
  }

  private track(task: Task, run: TaskRun, resume: boolean, known?: Bot): void {
    const cancel = new AbortController();
    const done = this.follow(task, run, resume, cancel.signal, known)
      .catch((error: unknown) => {
        this.deps.log.error({ task: task.id, err: errorMessage(error) }, "tasks.follow_failed");
      })
      .finally(() => {
        this.running.delete(task.id);
        // A retry whose wait is short, or tasks queued behind this one.
        if (!this.stopping.signal.aborted) this.kick();
      });
    this.running.set(task.id, { cancel, done });
  }

  private async follow(
    task: Task,
    run: TaskRun,
    resume: boolean,
    signal: AbortSignal,
    known?: Bot,
  ): Promise<void> {
    const bot = known ?? (await this.deps.store.findBot(task.botId));
    const deadline = Date.parse(run.startedAt) + task.timeLimitMs;
    let result: AttemptResult | null;
    let gateway: TaskGateway | null = null;
    try {
      if (!bot) throw new OpsError("NOT_FOUND", "the bot was removed");
      if (!resume) await this.deps.admit?.(bot);
      gateway = await this.deps.connect(bot);
      result = await runAttempt({
        client: gateway,
        sessionKey: run.sessionKey,
        runId: run.runId,
        message: task.prompt,
        deadline,
        resume,
        signal,
      });
    } catch (error) {
      if (signal.aborted && signal.reason !== CANCEL) return;
      // Refused by a budget or unreachable: an attempt that failed (retried when it may be).
      result =
        signal.reason === CANCEL
          ? { outcome: "cancelled", error: null }
          : { outcome: "failed", error: errorMessage(error) };
    } finally {
      gateway?.close();
    }
    if (result === null) return;
    await this.finish(task, run, result, result.outcome !== "cancelled");
  }

  /** Records the attempt's end and moves the card: review or done, or back to assigned for a retry. */
  private async finish(task: Task, run: TaskRun, result: AttemptResult, mayRetry: boolean) {
    const { store, bus } = this.deps;
    const runUsage = await this.usageOf(task, [run.sessionKey], result.outcome === "succeeded");
    const at = this.now();
    await store.tasks.saveRun({
      ...run,
      outcome: result.outcome,
      error: result.error,
      usage: runUsage,
      finishedAt: this.iso(at),
      durationMs: Math.max(0, at - Date.parse(run.startedAt)),
    });
    const keys = (await store.tasks.listRuns(task.id)).map((r) => r.sessionKey);
    const usage = await store.tasks.sessionUsage(task.botId, keys);
    const current = (await store.tasks.getTask(task.id)) ?? task;
    const retry =
      mayRetry && result.outcome !== "succeeded" && current.attempts < current.maxAttempts;
    const startedAt = Date.parse(current.startedAt ?? run.startedAt);
    const next: Partial<Task> = retry
      ? {
          status: "assigned",
          error: result.error,
          nextAttemptAt: this.iso(at + retryDelayMs(current.attempts + 1, this.deps.retryFirstMs)),
        }
      : {
          status: result.outcome === "succeeded" && current.review ? "review" : "done",
          outcome: result.outcome,
          error: result.error,
          finishedAt: this.iso(at),
          durationMs: Math.max(0, at - startedAt),
        };
    const updated = await store.tasks.updateTask(
      task.id,
      { ...next, usage, updatedAt: this.iso(at) },
      ["in_progress"],
    );
    // Cancelled meanwhile through another daemon: that one told the board.
    if (!updated) return;
    publishMoved(bus, updated, "in_progress", reasonOf(result, retry), "tasks");
    publishFinished(
      bus,
      updated,
      result,
      retry ? updated.nextAttemptAt : null,
      "tasks",
      run.attempt,
    );
  }

  /**
   * The attempt's usage from the ingested messages of its session. A
   * success's answer is stored by the ingest within about a second of the
   * final frame: waited for, up to `usageWaitMs`, so that its cost counts.
   */
  private async usageOf(task: Task, keys: string[], expectAnswer: boolean): Promise<Usage> {
    const until = this.now() + (this.deps.usageWaitMs ?? 5_000);
    for (;;) {
      await this.deps.ingestIdle?.();
      const usage = await this.deps.store.tasks.sessionUsage(task.botId, keys);
      if (!expectAnswer || usage.output > 0 || this.now() >= until) return usage;
      await abortableSleep(250, this.stopping.signal).catch(() => undefined);
      if (this.stopping.signal.aborted) return usage;
    }
  }

  async abortElsewhere(task: Task): Promise<void> {
    const bot = await this.deps.store.findBot(task.botId);
    if (!bot || !task.sessionKey) return;
    let gateway: TaskGateway | null = null;
    try {
      gateway = await this.deps.connect(bot);
      await gatewayMethods(gateway).chatAbort({ sessionKey: task.sessionKey });
    } catch (error) {
      this.deps.log.warn({ task: task.id, err: errorMessage(error) }, "tasks.abort_failed");
    } finally {
      gateway?.close();
    }
  }
}

function reasonOf(result: AttemptResult, retry: boolean): string {
  const how: Record<TaskOutcome, string> = {
    succeeded: "the agent finished",
    failed: "the attempt failed",
    timed_out: "the attempt hit its time limit",
    cancelled: "cancelled",
  };
  return retry ? `${how[result.outcome]}: retrying` : how[result.outcome];
}
