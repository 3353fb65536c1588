import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { DEFAULT_ORG } from "../core/access.js";
import { EMPTY_USAGE } from "../core/session.js";
import type { Schedule, Task, TaskRun } from "../core/task.js";
import { expectValidation, session } from "./session-store.contract.js";
import type { Store } from "./store.js";

/** A task of `botId` in `assigned`, everything else defaulted. */
export function task(botId: string, extra: Partial<Task> = {}): Task {
  return {
    id: randomUUID(),
    botId,
    botName: "bot",
    title: "t",
    prompt: "say hi",
    status: "assigned",
    outcome: null,
    review: true,
    attempts: 0,
    maxAttempts: 2,
    timeLimitMs: 60_000,
    sessionKey: null,
    scheduleId: null,
    gate: null,
    error: null,
    usage: { ...EMPTY_USAGE },
    nextAttemptAt: null,
    createdBy: "cli",
    createdAt: "2026-11-01T10:00:00.000Z",
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    updatedAt: "2026-11-01T10:00:00.000Z",
    ...extra,
  };
}

export function schedule(botId: string, extra: Partial<Schedule> = {}): Schedule {
  return {
    id: randomUUID(),
    botId,
    botName: "bot",
    title: "heartbeat",
    prompt: "check",
    everyMs: 300_000,
    enabled: true,
    timeLimitMs: 60_000,
    maxAttempts: 1,
    lastRunAt: null,
    nextRunAt: "2026-11-01T10:05:00.000Z",
    lastTaskId: null,
    createdBy: "cli",
    createdAt: "2026-11-01T10:00:00.000Z",
    updatedAt: "2026-11-01T10:00:00.000Z",
    ...extra,
  };
}

/**
 * Tasks, runs and schedules, part of the store contract: `store()` is the
 * suite's migrated store (shared: each test uses bot ids of its own),
 * `open()` a second store on the same database (a restarted daemon, or a
 * second daemon on the same PostgreSQL).
 */
export function taskStoreContract(ctx: { store(): Store; open(): Promise<Store> }) {
  it("keeps tasks, moves them only from the expected status, and lists them newest first", async () => {
    const { tasks } = ctx.store();
    const bot = `b-${randomUUID()}`;
    const first = await tasks.createTask(task(bot, { createdAt: "2026-11-01T10:00:00+01:00" }));
    expect(first.createdAt).toBe("2026-11-01T09:00:00.000Z");
    const gate = {
      state: "pending" as const,
      by: "rule 1",
      reason: "r",
      decidedBy: null,
      decidedAt: null,
    };
    const second = await tasks.createTask(
      task(bot, { status: "inbox", gate, createdAt: "2026-11-01T10:00:00.000Z" }),
    );
    expect(second.gate).toEqual(gate);
    const decided = {
      ...gate,
      state: "approved" as const,
      decidedBy: "dana",
      decidedAt: "2026-11-01T10:02:00+01:00",
    };
    expect((await tasks.updateTask(second.id, { gate: decided }, ["inbox"]))?.gate).toEqual({
      ...decided,
      decidedAt: "2026-11-01T09:02:00.000Z",
    });
    await expectValidation(
      tasks.updateTask(second.id, { gate: { ...decided, state: "maybe" as never } }),
      /gate\.state/,
    );
    expect((await tasks.listTasks({ botId: bot })).map((t) => t.id)).toEqual([second.id, first.id]);
    expect((await tasks.listTasks({ botId: bot, status: "inbox" })).map((t) => t.id)).toEqual([
      second.id,
    ]);

    // A claim: only one of two concurrent writers moves it out of `assigned`.
    const claim = () =>
      tasks.updateTask(
        first.id,
        { status: "in_progress", attempts: 1, updatedAt: "2026-11-01T10:01:00.000Z" },
        ["assigned"],
      );
    const [a, b] = await Promise.all([claim(), claim()]);
    expect([a, b].filter((t) => t !== null)).toHaveLength(1);
    expect(await tasks.getTask(first.id)).toMatchObject({ status: "in_progress", attempts: 1 });
    expect(await tasks.updateTask(randomUUID(), { status: "done" })).toBeNull();

    const usage = { input: 10, output: 5, cacheRead: 1, cacheWrite: 0, costUsd: 0.0125 };
    const done = await tasks.updateTask(first.id, {
      status: "review",
      outcome: "succeeded",
      usage,
      finishedAt: "2026-11-01T10:02:00.000Z",
      durationMs: 60_000,
    });
    expect(done).toMatchObject({
      status: "review",
      outcome: "succeeded",
      usage,
      durationMs: 60_000,
    });
    const other = await ctx.open();
    try {
      expect(await other.tasks.getTask(first.id)).toEqual(done);
    } finally {
      await other.close();
    }
  });

  it("hands out assigned tasks whose retry wait is over, and records each attempt's run", async () => {
    const { tasks } = ctx.store();
    const bot = `b-${randomUUID()}`;
    const now = "2026-11-02T10:00:00.000Z";
    const ready = await tasks.createTask(task(bot, { createdAt: "2026-11-02T09:00:00.000Z" }));
    const waiting = await tasks.createTask(
      task(bot, { nextAttemptAt: "2026-11-02T10:00:05.000Z" }),
    );
    const due = await tasks.createTask(task(bot, { nextAttemptAt: "2026-11-02T09:59:59.000Z" }));
    await tasks.createTask(task(bot, { status: "inbox" }));
    const handed = (await tasks.listDispatchable(now, 1000)).filter((t) => t.botId === bot);
    expect(handed.map((t) => t.id).sort()).toEqual([ready.id, due.id].sort());
    expect(handed.map((t) => t.id)).not.toContain(waiting.id);

    const run: TaskRun = {
      taskId: ready.id,
      attempt: 1,
      sessionKey: `agent:main:clawops-task-${ready.id}-1`,
      runId: `clawops-task-${ready.id}-1`,
      outcome: "running",
      error: null,
      usage: { ...EMPTY_USAGE },
      startedAt: now,
      finishedAt: null,
      durationMs: null,
    };
    await tasks.saveRun(run);
    const ended = {
      ...run,
      outcome: "timed_out" as const,
      error: "no end",
      finishedAt: now,
      durationMs: 5,
    };
    await tasks.saveRun(ended);
    await tasks.saveRun({
      ...run,
      attempt: 2,
      sessionKey: `${run.sessionKey}x`,
      outcome: "succeeded",
    });
    const runs = await tasks.listRuns(ready.id);
    expect(runs.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, "timed_out"],
      [2, "succeeded"],
    ]);
    expect(runs[0]).toEqual(ended);
  });

  it("sums the usage of a task's sessions by key, and analytics per bot", async () => {
    const store = ctx.store();
    const bot = `b-${randomUUID()}`;
    const usage = (costUsd: number) => ({
      input: 100,
      output: 10,
      cacheRead: 0,
      cacheWrite: 0,
      costUsd,
    });
    await store.sessions.saveSessions([
      session(bot, "s1", { sessionKey: "agent:main:clawops-task-x-1", usage: usage(0.5) }),
      session(bot, "s2", { sessionKey: "agent:main:clawops-task-x-2", usage: usage(0.25) }),
      session(bot, "s3", { sessionKey: "agent:main:other", usage: usage(9) }),
    ]);
    expect(
      await store.tasks.sessionUsage(bot, [
        "agent:main:clawops-task-x-1",
        "agent:main:clawops-task-x-2",
      ]),
    ).toEqual({ input: 200, output: 20, cacheRead: 0, cacheWrite: 0, costUsd: 0.75 });
    expect(await store.tasks.sessionUsage(bot, [])).toEqual(EMPTY_USAGE);

    const finished = (outcome: Task["outcome"], durationMs: number, costUsd: number) =>
      store.tasks.createTask(
        task(bot, {
          botName: "ana",
          status: "done",
          outcome,
          durationMs,
          usage: usage(costUsd),
          finishedAt: "2026-11-03T10:00:00.000Z",
        }),
      );
    await finished("succeeded", 1_000, 0.5);
    await finished("succeeded", 3_000, 0.5);
    await finished("failed", 9_000, 0.25);
    await finished("timed_out", 60_000, 0.25);
    await finished("cancelled", 10, 0);
    await store.tasks.createTask(task(bot));
    const [row] = await store.tasks.analytics({ botId: bot });
    expect(row).toEqual({
      botId: bot,
      botName: "ana",
      finished: 5,
      succeeded: 2,
      failed: 1,
      timedOut: 1,
      cancelled: 1,
      successRate: 0.5,
      meanCompletionMs: 2_000,
      costUsd: 1.5,
      costPerTaskUsd: 0.3,
      tokens: 550,
    });
    expect(await store.tasks.analytics({ botId: bot, since: "2026-11-04T00:00:00.000Z" })).toEqual(
      [],
    );
  });

  it("fires a schedule's slot once, whoever asks, with its task, and keeps it across a reopen", async () => {
    const { tasks } = ctx.store();
    const bot = `b-${randomUUID()}`;
    const made = await tasks.createSchedule(schedule(bot));
    expect(
      (await tasks.listDueSchedules("2026-11-01T10:04:59.000Z")).map((s) => s.id),
    ).not.toContain(made.id);
    expect((await tasks.listDueSchedules("2026-11-01T10:05:00.000Z")).map((s) => s.id)).toContain(
      made.id,
    );
    const other = await ctx.open();
    try {
      const fire = (store: Store) =>
        store.tasks.fireSchedule(
          made.id,
          made.nextRunAt,
          "2026-11-01T10:10:00.000Z",
          task(bot, { scheduleId: made.id, createdAt: "2026-11-01T10:05:01.000Z" }),
        );
      // Two at once on one store, then a second daemon late for the same slot.
      const results = await Promise.all([fire(ctx.store()), fire(ctx.store())]);
      results.push(await fire(other));
      const fired = results.filter((t) => t !== null);
      expect(fired).toHaveLength(1);
      expect(await tasks.listTasks({ scheduleId: made.id })).toHaveLength(1);
      expect(await other.tasks.getSchedule(made.id)).toMatchObject({
        nextRunAt: "2026-11-01T10:10:00.000Z",
        lastRunAt: "2026-11-01T10:05:01.000Z",
        lastTaskId: fired[0]!.id,
      });
    } finally {
      await other.close();
    }
    const paused = await tasks.updateSchedule(made.id, { enabled: false });
    expect(paused?.enabled).toBe(false);
    expect(
      await tasks.fireSchedule(
        made.id,
        "2026-11-01T10:10:00.000Z",
        "2026-11-01T10:15:00.000Z",
        task(bot),
      ),
    ).toBeNull();
    expect((await tasks.listSchedules({ botId: bot })).map((s) => s.id)).toEqual([made.id]);
    expect(await tasks.removeSchedule(made.id)).toBe(true);
    expect(await tasks.removeSchedule(made.id)).toBe(false);
    expect(await tasks.updateSchedule(made.id, { enabled: true })).toBeNull();
  });

  it("scopes tasks, schedules and analytics to the organisation of their bot", async () => {
    const store = ctx.store();
    const bots = await store.listBots({ org: DEFAULT_ORG });
    const outsider = `b-${randomUUID()}`;
    const t = await store.tasks.createTask(task(outsider));
    await store.tasks.createSchedule(schedule(outsider));
    // A bot id no organisation holds is in none.
    expect((await store.tasks.listTasks({ org: DEFAULT_ORG })).map((x) => x.id)).not.toContain(
      t.id,
    );
    expect(
      (await store.tasks.listSchedules({ org: DEFAULT_ORG })).map((s) => s.botId),
    ).not.toContain(outsider);
    expect(bots.every((b) => b.org === DEFAULT_ORG)).toBe(true);
  });

  it("refuses a task or schedule that breaks its type, naming the field", async () => {
    const { tasks } = ctx.store();
    const bad = (extra: Record<string, unknown>) => tasks.createTask({ ...task("b"), ...extra });
    await expectValidation(bad({ status: "doing" }), /^status must be one of inbox, assigned/);
    await expectValidation(bad({ outcome: "ok" }), /^outcome must be one of succeeded, failed/);
    await expectValidation(bad({ maxAttempts: 0 }), /^maxAttempts must be a whole number >= 1/);
    await expectValidation(bad({ prompt: "" }), /^prompt must be a non-empty string/);
    await expectValidation(bad({ createdAt: "now" }), /^createdAt must be an ISO 8601/);
    await expectValidation(
      tasks.createSchedule({ ...schedule("b"), everyMs: 0 }),
      /^everyMs must be a whole number >= 1/,
    );
  });
}
