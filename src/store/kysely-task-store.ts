import { type Kysely, sql } from "kysely";
import { EMPTY_USAGE, type Usage } from "../core/session.js";
import type { Schedule, Task, TaskAnalytics, TaskRun, TaskStatus } from "../core/task.js";
import { inOrg } from "./org-scope.js";
import type { Database, Dialect, TaskSchedulesTable, TasksTable } from "./schema.js";
import { toUsage } from "./session-rows.js";
import { fromRun, scheduleColumns, taskColumns, toRun, toSchedule, toTask } from "./task-rows.js";
import type {
  AnalyticsQuery,
  SchedulePatch,
  ScheduleQuery,
  TaskPatch,
  TaskQuery,
  TaskStore,
} from "./task-store.js";
import { storeErrors, transact } from "./transact.js";

/** The TaskStore on the store's Kysely, either dialect. */
export class KyselyTaskStore implements TaskStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly location: string,
  ) {}

  async createTask(task: Task): Promise<Task> {
    const row = taskColumns(task) as TasksTable;
    await storeErrors(this.db.insertInto("tasks").values(row).execute());
    return (await this.getTask(task.id))!;
  }

  async getTask(id: string, org?: string): Promise<Task | null> {
    let q = this.db.selectFrom("tasks").selectAll().where("id", "=", id);
    if (org !== undefined) q = q.where(inOrg(this.db, this.dialect, "bot_id", org));
    const row = await q.executeTakeFirst();
    return row ? toTask(row) : null;
  }

  async listTasks(query: TaskQuery = {}): Promise<Task[]> {
    let q = this.db.selectFrom("tasks").selectAll();
    if (query.botId) q = q.where("bot_id", "=", query.botId);
    if (query.org !== undefined) q = q.where(inOrg(this.db, this.dialect, "bot_id", query.org));
    if (query.status) q = q.where("status", "=", query.status);
    if (query.scheduleId) q = q.where("schedule_id", "=", query.scheduleId);
    const rows = await q
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(Math.min(Math.max(query.limit ?? 100, 1), 1000))
      .execute();
    return rows.map(toTask);
  }

  async updateTask(
    id: string,
    patch: TaskPatch,
    expectStatus?: readonly TaskStatus[],
  ): Promise<Task | null> {
    const changes = taskColumns(patch);
    if (Object.keys(changes).length === 0) return this.getTask(id);
    let q = this.db.updateTable("tasks").set(changes).where("id", "=", id);
    if (expectStatus) q = q.where("status", "in", [...expectStatus]);
    const result = await storeErrors(q.executeTakeFirst());
    return Number(result.numUpdatedRows) === 0 ? null : this.getTask(id);
  }

  async listDispatchable(now: string, limit = 50): Promise<Task[]> {
    const rows = await this.db
      .selectFrom("tasks")
      .selectAll()
      .where("status", "=", "assigned")
      .where((eb) => eb.or([eb("next_attempt_at", "is", null), eb("next_attempt_at", "<=", now)]))
      .orderBy("created_at")
      .orderBy("id")
      .limit(limit)
      .execute();
    return rows.map(toTask);
  }

  async saveRun(run: TaskRun): Promise<void> {
    const row = fromRun(run);
    const { task_id: _t, attempt: _a, ...changes } = row;
    await storeErrors(
      this.db
        .insertInto("task_runs")
        .values(row)
        .onConflict((oc) => oc.columns(["task_id", "attempt"]).doUpdateSet(changes))
        .execute(),
    );
  }

  async listRuns(taskId: string): Promise<TaskRun[]> {
    const rows = await this.db
      .selectFrom("task_runs")
      .selectAll()
      .where("task_id", "=", taskId)
      .orderBy("attempt")
      .execute();
    return rows.map(toRun);
  }

  async sessionUsage(botId: string, sessionKeys: readonly string[]): Promise<Usage> {
    if (sessionKeys.length === 0) return { ...EMPTY_USAGE };
    const row = await this.db
      .selectFrom("sessions")
      .select((eb) => [
        eb.fn.coalesce(eb.fn.sum<number>("tokens_input"), sql<number>`0`).as("tokens_input"),
        eb.fn.coalesce(eb.fn.sum<number>("tokens_output"), sql<number>`0`).as("tokens_output"),
        eb.fn
          .coalesce(eb.fn.sum<number>("tokens_cache_read"), sql<number>`0`)
          .as("tokens_cache_read"),
        eb.fn
          .coalesce(eb.fn.sum<number>("tokens_cache_write"), sql<number>`0`)
          .as("tokens_cache_write"),
        eb.fn.coalesce(eb.fn.sum<number>("cost_usd"), sql<number>`0`).as("cost_usd"),
      ])
      .where("bot_id", "=", botId)
      .where("session_key", "in", [...sessionKeys])
      .executeTakeFirstOrThrow();
    return toUsage(row);
  }

  async analytics(query: AnalyticsQuery = {}): Promise<TaskAnalytics[]> {
    let q = this.db
      .selectFrom("tasks")
      .where("outcome", "is not", null)
      .select((eb) => {
        const when = (outcome: string) =>
          eb.fn.sum<number>(sql`case when outcome = ${outcome} then 1 else 0 end`);
        return [
          "bot_id",
          eb.fn.max("bot_name").as("bot_name"),
          eb.fn.countAll<number>().as("finished"),
          when("succeeded").as("succeeded"),
          when("failed").as("failed"),
          when("timed_out").as("timed_out"),
          when("cancelled").as("cancelled"),
          eb.fn
            .avg<number>(sql`case when outcome = 'succeeded' then duration_ms end`)
            .as("mean_ms"),
          eb.fn.sum<number>("cost_usd").as("cost_usd"),
          eb.fn
            .sum<number>(sql`tokens_input + tokens_output + tokens_cache_read + tokens_cache_write`)
            .as("tokens"),
        ];
      })
      .groupBy("bot_id");
    if (query.botId) q = q.where("bot_id", "=", query.botId);
    if (query.org !== undefined) q = q.where(inOrg(this.db, this.dialect, "bot_id", query.org));
    if (query.since) q = q.where("finished_at", ">=", query.since);
    const rows = await q.execute();
    return rows
      .map((r) => {
        const finished = Number(r.finished);
        const succeeded = Number(r.succeeded);
        const judged = succeeded + Number(r.failed) + Number(r.timed_out);
        const costUsd = Number(r.cost_usd);
        return {
          botId: r.bot_id,
          botName: String(r.bot_name),
          finished,
          succeeded,
          failed: Number(r.failed),
          timedOut: Number(r.timed_out),
          cancelled: Number(r.cancelled),
          successRate: judged === 0 ? null : succeeded / judged,
          meanCompletionMs: r.mean_ms === null ? null : Math.round(Number(r.mean_ms)),
          costUsd,
          costPerTaskUsd: finished === 0 ? null : costUsd / finished,
          tokens: Number(r.tokens),
        };
      })
      .sort((a, b) => b.finished - a.finished || a.botName.localeCompare(b.botName));
  }

  async createSchedule(schedule: Schedule): Promise<Schedule> {
    const row = scheduleColumns(schedule) as TaskSchedulesTable;
    await storeErrors(this.db.insertInto("task_schedules").values(row).execute());
    return (await this.getSchedule(schedule.id))!;
  }

  async getSchedule(id: string, org?: string): Promise<Schedule | null> {
    let q = this.db.selectFrom("task_schedules").selectAll().where("id", "=", id);
    if (org !== undefined) q = q.where(inOrg(this.db, this.dialect, "bot_id", org));
    const row = await q.executeTakeFirst();
    return row ? toSchedule(row) : null;
  }

  async listSchedules(query: ScheduleQuery = {}): Promise<Schedule[]> {
    let q = this.db.selectFrom("task_schedules").selectAll();
    if (query.botId) q = q.where("bot_id", "=", query.botId);
    if (query.org !== undefined) q = q.where(inOrg(this.db, this.dialect, "bot_id", query.org));
    const rows = await q.orderBy("created_at").orderBy("id").execute();
    return rows.map(toSchedule);
  }

  async updateSchedule(id: string, patch: SchedulePatch): Promise<Schedule | null> {
    const changes = scheduleColumns(patch);
    if (Object.keys(changes).length > 0) {
      const result = await storeErrors(
        this.db.updateTable("task_schedules").set(changes).where("id", "=", id).executeTakeFirst(),
      );
      if (Number(result.numUpdatedRows) === 0) return null;
    }
    return this.getSchedule(id);
  }

  async removeSchedule(id: string): Promise<boolean> {
    const result = await storeErrors(
      this.db.deleteFrom("task_schedules").where("id", "=", id).executeTakeFirst(),
    );
    return Number(result.numDeletedRows) > 0;
  }

  async listDueSchedules(now: string): Promise<Schedule[]> {
    const rows = await this.db
      .selectFrom("task_schedules")
      .selectAll()
      .where("enabled", "=", 1)
      .where("next_run_at", "<=", now)
      .orderBy("next_run_at")
      .execute();
    return rows.map(toSchedule);
  }

  async fireSchedule(
    scheduleId: string,
    expectedNextRunAt: string,
    nextRunAt: string,
    task: Task,
  ): Promise<Task | null> {
    const row = taskColumns(task) as TasksTable;
    const next = scheduleColumns({ nextRunAt }).next_run_at!;
    const fired = await transact(this.db, this.location, async (tx) => {
      const moved = await tx
        .updateTable("task_schedules")
        .set({
          next_run_at: next,
          last_run_at: row.created_at,
          last_task_id: row.id,
          updated_at: row.created_at,
        })
        .where("id", "=", scheduleId)
        .where("enabled", "=", 1)
        .where("next_run_at", "=", expectedNextRunAt)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0) return false;
      await tx.insertInto("tasks").values(row).execute();
      return true;
    });
    return fired ? this.getTask(task.id) : null;
  }
}
