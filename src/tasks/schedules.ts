import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Bot } from "../core/bot.js";
import { OpsError, errorMessage } from "../core/errors.js";
import { EMPTY_USAGE } from "../core/session.js";
import { OPEN_STATUSES, type Schedule, type Task, nextRunAfter } from "../core/task.js";
import type { EventBus } from "../events/bus.js";
import type { Store } from "../store/store.js";
import { TASK_DEFAULTS, type TaskService } from "./service.js";

export interface ScheduleDeps {
  store: Store;
  bus: EventBus;
  log: Logger;
  tasks: TaskService;
  now?: () => number;
}

export interface NewSchedule {
  bot: Bot;
  prompt: string;
  everyMs: number;
  title?: string;
  timeLimitMs?: number;
  maxAttempts?: number;
  enabled?: boolean;
  /** The first task now (true) or one period from now (default). */
  runNow?: boolean;
}

export type ScheduleChange = Partial<
  Pick<Schedule, "title" | "prompt" | "everyMs" | "timeLimitMs" | "maxAttempts" | "enabled">
>;

/** The shortest period: a heartbeat, not a busy loop (each run is an agent turn that costs). */
export const MIN_EVERY_MS = 5_000;

/**
 * Schedules (heartbeats) and their firing. The slot a schedule fires is a
 * conditional write of its `nextRunAt` together with the task it makes
 * (`fireSchedule`): a restart neither fires a slot twice nor skips one that
 * was due, and two daemons on one PostgreSQL fire it once. A schedule whose
 * last task has not ended waits (runs never overlap); the slots missed while
 * it waited, or while clawops was down, collapse into one run.
 */
export class ScheduleService {
  constructor(private readonly deps: ScheduleDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async create(input: NewSchedule, actor: string): Promise<Schedule> {
    checkEvery(input.everyMs);
    const at = this.now();
    const schedule = await this.deps.store.tasks.createSchedule({
      id: randomUUID(),
      botId: input.bot.id,
      botName: input.bot.name,
      title: input.title?.trim() || input.prompt.trim().split("\n")[0]!.slice(0, 80),
      prompt: input.prompt,
      everyMs: input.everyMs,
      enabled: input.enabled ?? true,
      timeLimitMs: input.timeLimitMs ?? Math.min(TASK_DEFAULTS.timeLimitMs, input.everyMs),
      maxAttempts: input.maxAttempts ?? TASK_DEFAULTS.maxAttempts,
      lastRunAt: null,
      nextRunAt: new Date(input.runNow ? at : at + input.everyMs).toISOString(),
      lastTaskId: null,
      createdBy: actor,
      createdAt: new Date(at).toISOString(),
      updatedAt: new Date(at).toISOString(),
    });
    this.publish(schedule, "created", actor);
    return schedule;
  }

  async get(id: string): Promise<Schedule> {
    const schedule = await this.deps.store.tasks.getSchedule(id);
    if (!schedule)
      throw new OpsError("NOT_FOUND", `no schedule ${id}: \`clawops schedule list\` lists them`);
    return schedule;
  }

  /** Changes a schedule; a new period counts from its last run (or now). */
  async update(id: string, change: ScheduleChange, actor: string): Promise<Schedule> {
    const before = await this.get(id);
    if (change.everyMs !== undefined) checkEvery(change.everyMs);
    const at = this.now();
    const everyMs = change.everyMs ?? before.everyMs;
    const from = before.lastRunAt ? Date.parse(before.lastRunAt) : at;
    const nextRunAt =
      change.everyMs !== undefined && change.everyMs !== before.everyMs
        ? new Date(Math.max(from + everyMs, at)).toISOString()
        : undefined;
    const updated = await this.deps.store.tasks.updateSchedule(id, {
      ...change,
      ...(nextRunAt ? { nextRunAt } : {}),
      updatedAt: new Date(at).toISOString(),
    });
    if (!updated) throw new OpsError("NOT_FOUND", `no schedule ${id}`);
    const kind =
      change.enabled === false && before.enabled
        ? "paused"
        : change.enabled === true && !before.enabled
          ? "resumed"
          : "updated";
    this.publish(updated, kind, actor);
    return updated;
  }

  async remove(id: string, actor: string): Promise<Schedule> {
    const schedule = await this.get(id);
    await this.deps.store.tasks.removeSchedule(id);
    this.publish(schedule, "removed", actor);
    return schedule;
  }

  /** One pass of the scheduler: a task from every schedule that is due and not still running. */
  async fireDue(): Promise<Task[]> {
    const at = this.now();
    const made: Task[] = [];
    for (const schedule of await this.deps.store.tasks.listDueSchedules(
      new Date(at).toISOString(),
    )) {
      try {
        const task = await this.fire(schedule, at);
        if (task) made.push(task);
      } catch (error) {
        this.deps.log.warn(
          { schedule: schedule.id, err: errorMessage(error) },
          "schedule.fire_failed",
        );
      }
    }
    return made;
  }

  private async fire(schedule: Schedule, at: number): Promise<Task | null> {
    const { store } = this.deps;
    if (schedule.lastTaskId) {
      const last = await store.tasks.getTask(schedule.lastTaskId);
      // Never two runs of one schedule at once: due again once the last one has ended.
      if (last && OPEN_STATUSES.includes(last.status)) return null;
    }
    // The last run may have ended since this pass began (tasks end on their own loop): the new
    // run is made now, never stamped before the end of the one it follows.
    at = Math.max(at, this.now());
    const bot = await store.findBot(schedule.botId);
    if (!bot) return null;
    const next = nextRunAfter(Date.parse(schedule.nextRunAt), schedule.everyMs, at);
    const iso = new Date(at).toISOString();
    // Gated like a task made by hand: held for a person (the schedule waits for it), or refused.
    const gate = this.deps.tasks.gateFor(bot, schedule.prompt);
    const denied = gate?.state === "denied";
    const task = await store.tasks.fireSchedule(
      schedule.id,
      schedule.nextRunAt,
      new Date(next).toISOString(),
      {
        id: randomUUID(),
        botId: bot.id,
        botName: bot.name,
        title: schedule.title,
        prompt: schedule.prompt,
        status: gate === null ? "assigned" : denied ? "done" : "inbox",
        outcome: denied ? "cancelled" : null,
        // Unattended: nobody reviews a heartbeat; a success goes straight to done.
        review: false,
        attempts: 0,
        maxAttempts: schedule.maxAttempts,
        timeLimitMs: schedule.timeLimitMs,
        sessionKey: null,
        scheduleId: schedule.id,
        gate,
        error: denied ? `refused by ${gate.by}: ${gate.reason}` : null,
        usage: { ...EMPTY_USAGE },
        nextAttemptAt: null,
        createdBy: `schedule:${schedule.id}`,
        createdAt: iso,
        startedAt: null,
        finishedAt: denied ? iso : null,
        durationMs: null,
        updatedAt: iso,
      },
    );
    if (task) this.deps.tasks.announceCreated(task, `schedule:${schedule.id}`);
    return task;
  }

  private publish(
    schedule: Schedule,
    change: "created" | "updated" | "paused" | "resumed" | "removed",
    actor: string,
  ) {
    this.deps.bus.publish({
      type: "schedule.changed",
      botId: schedule.botId,
      actor,
      data: {
        id: schedule.id,
        change,
        everyMs: schedule.everyMs,
        enabled: schedule.enabled,
        nextRunAt: schedule.nextRunAt,
      },
    });
  }
}

function checkEvery(everyMs: number): void {
  if (!Number.isSafeInteger(everyMs) || everyMs < MIN_EVERY_MS)
    throw new OpsError(
      "VALIDATION",
      `every must be at least ${MIN_EVERY_MS / 1000}s, got ${everyMs}ms`,
      {
        issues: [{ path: "everyMs", message: `at least ${MIN_EVERY_MS}`, severity: "error" }],
      },
    );
}
