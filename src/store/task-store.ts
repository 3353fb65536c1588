import type { Usage } from "../core/session.js";
import type { Schedule, Task, TaskAnalytics, TaskRun, TaskStatus } from "../core/task.js";

export interface TaskQuery {
  botId?: string;
  /** Only tasks of this organisation's bots (removed ones included). */
  org?: string;
  status?: TaskStatus;
  scheduleId?: string;
  /** At most this many (default 100, max 1000), newest first. */
  limit?: number;
}

export interface ScheduleQuery {
  botId?: string;
  org?: string;
}

export interface AnalyticsQuery {
  botId?: string;
  org?: string;
  /** Only tasks finished at or after this ISO 8601 time. */
  since?: string;
}

/** What may change on a task; `expect` makes the change conditional (compare and set). */
export type TaskPatch = Partial<Omit<Task, "id" | "botId" | "botName" | "createdAt" | "createdBy">>;
export type SchedulePatch = Partial<
  Pick<
    Schedule,
    | "title"
    | "prompt"
    | "everyMs"
    | "enabled"
    | "timeLimitMs"
    | "maxAttempts"
    | "nextRunAt"
    | "updatedAt"
  >
>;

/**
 * Tasks, their runs and the schedules that make them (src/tasks/,
 * docs/tasks.md). Kept for good: a removed bot's tasks stay its
 * organisation's history. Times are ISO 8601 and come back in UTC; a record
 * that breaks its type fails with `VALIDATION` naming the field.
 *
 * The conditional writes (`updateTask` with `expectStatus`, `fireSchedule`)
 * are how two daemons on one PostgreSQL, or a loop and an API call, never
 * both act on the same task or the same schedule slot: the loser gets null.
 */
export interface TaskStore {
  createTask(task: Task): Promise<Task>;
  /** With `org`: null unless the task's bot is of that organisation. */
  getTask(id: string, org?: string): Promise<Task | null>;
  /** Newest first. */
  listTasks(query?: TaskQuery): Promise<Task[]>;
  /**
   * Applies `patch` (stamping nothing itself: pass `updatedAt`); with
   * `expectStatus` only while the task is in one of those statuses. Returns
   * the task as stored after, or null when it is absent or the status did not match.
   */
  updateTask(
    id: string,
    patch: TaskPatch,
    expectStatus?: readonly TaskStatus[],
  ): Promise<Task | null>;
  /** Tasks waiting in `assigned` whose retry wait (if any) is over at `now`, oldest first. */
  listDispatchable(now: string, limit?: number): Promise<Task[]>;

  /** Inserts or replaces the run of (task, attempt). */
  saveRun(run: TaskRun): Promise<void>;
  /** In attempt order. */
  listRuns(taskId: string): Promise<TaskRun[]>;
  /** Usage summed over the bot's sessions under these keys (what the ingest kept). */
  sessionUsage(botId: string, sessionKeys: readonly string[]): Promise<Usage>;
  /** Finished tasks summed per bot, the bot with most tasks first. */
  analytics(query?: AnalyticsQuery): Promise<TaskAnalytics[]>;

  createSchedule(schedule: Schedule): Promise<Schedule>;
  /** With `org`: null unless the schedule's bot is of that organisation. */
  getSchedule(id: string, org?: string): Promise<Schedule | null>;
  listSchedules(query?: ScheduleQuery): Promise<Schedule[]>;
  /** Null when absent. */
  updateSchedule(id: string, patch: SchedulePatch): Promise<Schedule | null>;
  /** False when absent. Its tasks stay. */
  removeSchedule(id: string): Promise<boolean>;
  /** Enabled schedules whose next run is at or before `now`. */
  listDueSchedules(now: string): Promise<Schedule[]>;
  /**
   * In one transaction: moves the schedule's slot from `expectedNextRunAt`
   * to `nextRunAt` (recording `task` as its last run) and inserts `task`.
   * Null, with nothing written, when the slot was taken already (another
   * daemon, or a restart that had fired it) or the schedule is gone or paused.
   */
  fireSchedule(
    scheduleId: string,
    expectedNextRunAt: string,
    nextRunAt: string,
    task: Task,
  ): Promise<Task | null>;
}
