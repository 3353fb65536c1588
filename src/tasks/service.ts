import { randomUUID } from "node:crypto";
import type { Bot } from "../core/bot.js";
import { OpsError } from "../core/errors.js";
import { EMPTY_USAGE } from "../core/session.js";
import {
  MANUAL_MOVES,
  type Task,
  type TaskGate,
  type TaskRun,
  type TaskStatus,
} from "../core/task.js";
import { Dispatcher, type TaskServiceDeps } from "./dispatcher.js";
import { publishFinished, publishGate, publishMoved } from "./publish.js";

export type { TaskGateway, TaskServiceDeps } from "./dispatcher.js";

export interface NewTask {
  bot: Bot;
  prompt: string;
  title?: string;
  /** `inbox` waits for someone to assign it; `assigned` (default) is dispatched at once. */
  status?: "inbox" | "assigned";
  maxAttempts?: number;
  timeLimitMs?: number;
  review?: boolean;
  /** Ask a person to approve it before it runs, whatever the rules say. */
  gate?: boolean;
}

export const TASK_DEFAULTS = { maxAttempts: 1, timeLimitMs: 600_000 } as const;
/** Statuses a task may be retried from: it has ended. */
const ENDED: readonly TaskStatus[] = ["review", "done"];

/**
 * Tasks on the board: creating, moving, cancelling and retrying cards (the
 * moves a person makes, MANUAL_MOVES), over the dispatcher that runs them
 * (dispatcher.ts). Every change is a conditional write on the status it was
 * read in, and an event.
 */
export class TaskService {
  private readonly dispatcher: Dispatcher;

  constructor(private readonly deps: TaskServiceDeps) {
    this.dispatcher = new Dispatcher(deps);
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }

  async create(input: NewTask, actor: string): Promise<Task> {
    const gate = this.gateFor(input.bot, input.prompt, input.gate === true);
    if (gate?.state === "denied")
      throw new OpsError("FORBIDDEN", `task refused by ${gate.by}: ${gate.reason}`, {
        details: { by: gate.by, reason: gate.reason },
      });
    const at = this.iso();
    const task = await this.deps.store.tasks.createTask({
      id: randomUUID(),
      botId: input.bot.id,
      botName: input.bot.name,
      title: input.title?.trim() || firstLine(input.prompt),
      prompt: input.prompt,
      // A gate holds it in the inbox until a person approves it.
      status: gate ? "inbox" : (input.status ?? "assigned"),
      outcome: null,
      review: input.review ?? true,
      attempts: 0,
      maxAttempts: input.maxAttempts ?? TASK_DEFAULTS.maxAttempts,
      timeLimitMs: input.timeLimitMs ?? TASK_DEFAULTS.timeLimitMs,
      sessionKey: null,
      scheduleId: null,
      gate,
      error: null,
      usage: { ...EMPTY_USAGE },
      nextAttemptAt: null,
      createdBy: actor,
      createdAt: at,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      updatedAt: at,
    });
    this.announceCreated(task, actor);
    return task;
  }

  /**
   * The gate a new task of `bot` gets (docs/tasks.md "Gates"): `pending` when
   * a person must approve it, `denied` when a rule refuses it, null when it
   * may run at once. Schedules ask it too.
   */
  gateFor(bot: Bot, prompt: string, requested = false): TaskGate | null {
    const verdict = this.deps.gate?.(bot, prompt, requested);
    if (!verdict || verdict.decision === "allow") return null;
    return {
      state: verdict.decision === "ask" ? "pending" : "denied",
      by: verdict.by,
      reason: verdict.reason,
      decidedBy: verdict.decision === "deny" ? verdict.by : null,
      decidedAt: verdict.decision === "deny" ? this.iso() : null,
    };
  }

  /**
   * A person's decision on a task its gate holds: approved, it is assigned
   * and dispatched at once; denied, it is done (cancelled) with the reason.
   * `CONFLICT` for a task no gate holds now.
   */
  async decide(id: string, approve: boolean, actor: string, reason?: string): Promise<Task> {
    const { task } = await this.get(id);
    if (task.gate?.state !== "pending" || task.status !== "inbox")
      throw new OpsError(
        "CONFLICT",
        `task ${id} waits for no approval${task.gate ? ` (it was ${task.gate.state} by ${task.gate.decidedBy})` : ""}`,
        { details: { gate: task.gate?.state ?? null } },
      );
    const at = this.now();
    const gate: TaskGate = {
      ...task.gate,
      state: approve ? "approved" : "denied",
      decidedBy: actor,
      decidedAt: this.iso(at),
      ...(reason ? { reason } : {}),
    };
    const changes: Partial<Task> = approve
      ? { gate, status: "assigned", updatedAt: this.iso(at) }
      : {
          gate,
          status: "done",
          outcome: "cancelled",
          error: `denied by ${actor}${reason ? `: ${reason}` : ""}`,
          finishedAt: this.iso(at),
          updatedAt: this.iso(at),
        };
    const decided = await this.deps.store.tasks.updateTask(id, changes, [task.status]);
    if (!decided) return this.decide(id, approve, actor, reason);
    publishGate(this.deps.bus, decided, actor);
    const verb = approve ? "approved" : "denied";
    publishMoved(this.deps.bus, decided, task.status, `${verb} by ${actor}`, actor);
    if (approve) this.kick();
    else
      publishFinished(
        this.deps.bus,
        decided,
        { outcome: "cancelled", error: decided.error },
        null,
        actor,
      );
    return decided;
  }

  /** Publishes a new task (made here or by a schedule) and dispatches it when assigned. */
  announceCreated(task: Task, actor: string): void {
    this.deps.bus.publish({
      type: "task.created",
      botId: task.botId,
      actor,
      data: {
        id: task.id,
        title: task.title,
        status: task.status,
        scheduleId: task.scheduleId,
        maxAttempts: task.maxAttempts,
        timeLimitMs: task.timeLimitMs,
      },
    });
    publishGate(this.deps.bus, task, actor);
    if (task.status === "assigned") this.kick();
  }

  async get(id: string): Promise<{ task: Task; runs: TaskRun[] }> {
    const task = await this.deps.store.tasks.getTask(id);
    if (!task) throw new OpsError("NOT_FOUND", `no task ${id}: \`clawops task list\` lists them`);
    return { task, runs: await this.deps.store.tasks.listRuns(id) };
  }

  /** A move by hand (MANUAL_MOVES); `CONFLICT` naming the allowed ones otherwise. */
  async move(id: string, to: TaskStatus, actor: string): Promise<Task> {
    const { task } = await this.get(id);
    if (task.status === to) return task;
    if (task.gate?.state === "pending")
      throw new OpsError(
        "CONFLICT",
        `task ${id} waits for approval (${task.gate.by}: ${task.gate.reason}): \`clawops task approve ${id}\` or deny it`,
        { details: { gate: "pending" } },
      );
    const allowed = MANUAL_MOVES[task.status] ?? [];
    if (!allowed.includes(to)) {
      const hint =
        task.status === "in_progress"
          ? "it is running: cancel it (clawops task cancel)"
          : task.status === "done"
            ? "it has ended: retry it (clawops task retry) to run it again"
            : `from ${task.status} it may go to ${allowed.join(" or ")}`;
      throw new OpsError(
        "CONFLICT",
        `task ${id} cannot move from ${task.status} to ${to}: ${hint}`,
        {
          details: { from: task.status, to, allowed: [...allowed] },
        },
      );
    }
    // Back to the inbox after review is a redo: a fresh series of attempts when assigned again.
    const redo = task.status === "review" && to === "inbox";
    const moved = await this.deps.store.tasks.updateTask(
      id,
      { status: to, updatedAt: this.iso(), ...(redo ? freshSeries() : {}) },
      [task.status],
    );
    if (!moved) return this.move(id, to, actor);
    publishMoved(this.deps.bus, moved, task.status, `moved by ${actor}`, actor);
    if (to === "assigned") this.kick();
    return moved;
  }

  /** Runs an ended task again: a fresh series of attempts, each in a new session. */
  async retry(id: string, actor: string): Promise<Task> {
    const { task } = await this.get(id);
    if (!ENDED.includes(task.status))
      throw new OpsError(
        "CONFLICT",
        `task ${id} is ${task.status}: only an ended task is retried`,
        {
          details: { status: task.status },
        },
      );
    // A denied task asks again: a retry is not an approval.
    const gate: Partial<Task> =
      task.gate?.state === "denied"
        ? {
            gate: { ...task.gate, state: "pending", decidedBy: null, decidedAt: null },
            status: "inbox",
          }
        : { status: "assigned" };
    const moved = await this.deps.store.tasks.updateTask(
      id,
      { updatedAt: this.iso(), ...freshSeries(), ...gate },
      [task.status],
    );
    if (!moved) throw new OpsError("CONFLICT", `task ${id} changed meanwhile: try again`);
    publishMoved(this.deps.bus, moved, task.status, `retried by ${actor}`, actor);
    this.kick();
    return moved;
  }

  /**
   * Cancels a task that has not ended: one waiting is done at once; one
   * running is aborted on its gateway first. `CONFLICT` for an ended one.
   */
  async cancel(id: string, actor: string): Promise<Task> {
    const { task } = await this.get(id);
    if (ENDED.includes(task.status))
      throw new OpsError("CONFLICT", `task ${id} has ended (${task.status}): nothing to cancel`, {
        details: { status: task.status },
      });
    if (await this.dispatcher.cancelRunning(id)) return (await this.get(id)).task;
    const at = this.now();
    const cancelled = await this.deps.store.tasks.updateTask(
      id,
      {
        status: "done",
        outcome: "cancelled",
        finishedAt: this.iso(at),
        durationMs: task.startedAt ? Math.max(0, at - Date.parse(task.startedAt)) : null,
        nextAttemptAt: null,
        updatedAt: this.iso(at),
      },
      [task.status],
    );
    if (!cancelled) return this.cancel(id, actor);
    // Running under another daemon (or one that died): its run is aborted from here.
    if (task.status === "in_progress" && task.sessionKey)
      await this.dispatcher.abortElsewhere(task);
    publishMoved(this.deps.bus, cancelled, task.status, `cancelled by ${actor}`, actor);
    publishFinished(this.deps.bus, cancelled, { outcome: "cancelled", error: null }, null, actor);
    return cancelled;
  }

  /** Dispatches due tasks now (serialised with other passes), without waiting for it. */
  kick(): void {
    this.dispatcher.kick();
  }

  /** A dispatch pass, serialised with the others; resolves when it is done. */
  dispatch(): Promise<void> {
    return this.dispatcher.dispatch();
  }

  /** Follows again the attempts a stopped daemon left running. */
  resumeRunning(): Promise<void> {
    return this.dispatcher.resumeRunning();
  }

  /** Leaves attempts running on their gateways (resumed at the next start). */
  close(): Promise<void> {
    return this.dispatcher.close();
  }
}

/** The fields a new series of attempts starts from (a retry or a redo). */
function freshSeries(): Partial<Task> {
  return {
    outcome: null,
    error: null,
    attempts: 0,
    nextAttemptAt: null,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
  };
}

function firstLine(prompt: string): string {
  const line = prompt.trim().split("\n")[0] ?? "";
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
