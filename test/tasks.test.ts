import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionRecord } from "../src/core/session.js";
import type { Schedule, Task, TaskAnalytics, TaskRun } from "../src/core/task.js";
import { sleep } from "../src/core/time.js";
import { GatewayClient } from "../src/gateway/client.js";
import { gatewayMethods } from "../src/gateway/methods.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { GATEWAY_HOOK_TIMEOUT, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";

/** US dollars per million tokens in the gateway's config: the gateway prices its own answers. */
const PRICE = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };

/**
 * Issue 17's tasks end to end: a real `clawops up` supervising a real
 * gateway (the fake LLM behind it), driven through the CLI and the API as an
 * operator and a dashboard would. One warm gateway for the whole file.
 */
describe.runIf(gatewayRuntimeAvailable())("tasks on a real gateway", () => {
  let llm: FakeLlm;
  let up: Supervised;

  const get = async <T>(route: string): Promise<T> => {
    const response = await up.api(route);
    expect(response.status, route).toBe(200);
    return (await response.json()) as T;
  };
  const post = async <T>(route: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const response = await up.api(route, {
      method: "POST",
      headers: {
        "x-clawops-client": "test",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as T };
  };
  const show = (id: string) => get<{ task: Task; runs: TaskRun[] }>(`/tasks/${id}`);
  async function until<T>(
    what: string,
    read: () => Promise<T>,
    ok: (v: T) => boolean,
    ms = 60_000,
  ) {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await read();
      if (ok(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(value)}`);
      await sleep(200);
    }
  }
  const ended = (id: string, ms?: number) =>
    until(
      `task ${id} never ended`,
      () => show(id),
      (v) => ["review", "done"].includes(v.task.status),
      ms,
    );
  const sessionsOf = async (key: string) =>
    (await get<{ sessions: SessionRecord[] }>("/sessions?bot=alpha&limit=500")).sessions.filter(
      (s) => s.sessionKey === key,
    );

  beforeAll(async () => {
    llm = await startFakeLlm();
    up = await upWithGateway({
      prefix: "clawops-tasks-",
      bot: "alpha",
      llmBaseUrl: llm.baseUrl,
      modelCost: PRICE,
      // Gates for high-risk tasks (docs/tasks.md "Gates"); no other test's prompt matches them.
      clawops: {
        approvals: {
          tasks: [
            { prompt: "*deploy*", decision: "ask", reason: "deploys need a second look" },
            { prompt: "*drop table*", decision: "deny" },
          ],
        },
      },
    });
  }, GATEWAY_HOOK_TIMEOUT);

  afterAll(async () => {
    await up?.close();
    await llm?.close();
  });

  it("dispatches a task in a session of its own, follows it to review, with its tokens and cost", async () => {
    const added = await up.cli([
      "task",
      "add",
      "alpha",
      "Say hello.",
      "--title",
      "greet",
      "--wait",
      "--json",
    ]);
    expect(added.code, `${added.stdout}\n${added.stderr}`).toBe(0);
    const { task } = JSON.parse(added.stdout) as { task: Task };
    expect(task).toMatchObject({
      botName: "alpha",
      title: "greet",
      status: "review",
      outcome: "succeeded",
      attempts: 1,
      sessionKey: `agent:main:clawops-task-${task.id}-1`,
      error: null,
    });
    expect(task.durationMs).toBeGreaterThan(0);
    // Its tokens and cost are those of its own session, as the ingest kept it.
    const [session, ...more] = await sessionsOf(task.sessionKey!);
    expect(more).toEqual([]);
    expect(session!.usage.output).toBeGreaterThan(0);
    expect(task.usage).toEqual(session!.usage);
    expect(task.usage.costUsd).toBeCloseTo(
      (task.usage.input * PRICE.input + task.usage.output * PRICE.output) / 1e6,
      9,
    );
    // The agent got the prompt in that session.
    const lastAsked = JSON.stringify(llm.requests.at(-1)?.body?.messages);
    expect(lastAsked).toContain("Say hello.");

    const { runs } = await show(task.id);
    expect(runs).toMatchObject([{ attempt: 1, outcome: "succeeded", sessionKey: task.sessionKey }]);
    const human = await up.cli(["task", "show", task.id]);
    expect(human.stdout).toContain(`review (succeeded)`);
    expect(human.stdout).toContain(task.sessionKey);

    // A person accepts it; a second accept is no move; a running-only move is refused, saying why.
    const moved = await up.cli(["task", "move", task.id, "done", "--json"]);
    expect(moved.code, moved.stderr).toBe(0);
    expect((JSON.parse(moved.stdout) as { task: Task }).task.status).toBe("done");
    const refused = await up.cli(["task", "move", task.id, "in_progress"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot move from done to in_progress: it has ended: retry it/);
    const list = await up.cli(["task", "list", "--bot", "alpha"]);
    expect(list.stdout).toMatch(new RegExp(`${task.id}\\s+alpha\\s+done\\s+succeeded\\s+1/1`));
  });

  it("gives two tasks two different sessions", async () => {
    const [a, b] = await Promise.all(
      ["First of two.", "Second of two."].map((prompt) =>
        post<{ task: Task }>("/tasks", { bot: "alpha", prompt, review: false }),
      ),
    );
    expect(a!.status).toBe(201);
    expect(b!.status).toBe(201);
    const [ta, tb] = await Promise.all([ended(a!.json.task.id), ended(b!.json.task.id)]);
    expect(ta.task).toMatchObject({ status: "done", outcome: "succeeded" });
    expect(tb.task).toMatchObject({ status: "done", outcome: "succeeded" });
    expect(ta.task.sessionKey).not.toBe(tb.task.sessionKey);
    const [sa] = await sessionsOf(ta.task.sessionKey!);
    const [sb] = await sessionsOf(tb.task.sessionKey!);
    expect(sa!.sessionId).not.toBe(sb!.sessionId);
    // Each session holds only its own task's prompt: one user message and the answer.
    for (const [session, prompt] of [
      [sa!, "First of two."],
      [sb!, "Second of two."],
    ] as const) {
      const { messages } = await get<{ messages: { role: string; text: string }[] }>(
        `/bots/alpha/sessions/${session.sessionId}/messages`,
      );
      const asked = messages.filter((m) => m.role === "user");
      expect(asked).toHaveLength(1);
      expect(asked[0]!.text).toContain(prompt);
    }
  });

  it("aborts an attempt whose LLM hangs at its time limit, retries it in a new session, then times the task out", async () => {
    llm.setChunkDelayMs(120_000);
    try {
      const added = await up.cli([
        "task",
        "add",
        "alpha",
        "This one hangs.",
        "--time-limit",
        "3s",
        "--attempts",
        "2",
        "--wait",
        "--json",
      ]);
      expect(added.code, added.stderr).toBe(1);
      const { task } = JSON.parse(added.stdout) as { task: Task };
      expect(task).toMatchObject({ status: "done", outcome: "timed_out", attempts: 2 });
      expect(task.error).toMatch(/no end within the time limit; the run was aborted/);
      const { runs } = await show(task.id);
      expect(runs.map((r) => r.outcome)).toEqual(["timed_out", "timed_out"]);
      expect(runs[0]!.sessionKey).not.toBe(runs[1]!.sessionKey);
      // Each attempt ran out its 3 s; the retry waited its backoff (5 s) in between.
      for (const run of runs) expect(run.durationMs).toBeGreaterThanOrEqual(2_900);
      expect(
        Date.parse(runs[1]!.startedAt) - Date.parse(runs[0]!.finishedAt!),
      ).toBeGreaterThanOrEqual(4_500);
      // The gateway was told: it killed each attempt's run (its own view, not the ingest's copy).
      const gateway = await GatewayClient.connect({
        url: `ws://127.0.0.1:${up.port}/`,
        token: up.token,
      });
      try {
        const { sessions } = await gatewayMethods(gateway).sessionsList({ limit: 100 });
        for (const run of runs) {
          const row = sessions.find((x) => x.key === run.sessionKey);
          expect(row, run.sessionKey).toMatchObject({ status: "killed", hasActiveRun: false });
        }
      } finally {
        gateway.close();
      }
      const events = (
        await get<{ events: { type: string; data: Record<string, unknown> }[] }>(
          "/events?type=task.failed&limit=100",
        )
      ).events.filter((e) => e.data.id === task.id);
      expect(events.map((e) => [e.data.attempt, e.data.outcome, e.data.retryAt === null])).toEqual([
        [1, "timed_out", false],
        [2, "timed_out", true],
      ]);
    } finally {
      llm.setChunkDelayMs(5);
    }
  });

  it("cancels a running task on its gateway, and retries it to success", async () => {
    llm.setChunkDelayMs(120_000);
    let id = "";
    try {
      const { json } = await post<{ task: Task }>("/tasks", { bot: "alpha", prompt: "Cancel me." });
      id = json.task.id;
      await until(
        "in progress",
        () => show(id),
        (v) => v.task.status === "in_progress" && v.runs.length === 1,
      );
      const cancelled = await up.cli(["task", "cancel", id, "--json"]);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect((JSON.parse(cancelled.stdout) as { task: Task }).task).toMatchObject({
        status: "done",
        outcome: "cancelled",
      });
      const again = await up.cli(["task", "cancel", id]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/has ended \(done\): nothing to cancel/);
    } finally {
      llm.setChunkDelayMs(5);
    }
    const retried = await up.cli(["task", "retry", id, "--json"]);
    expect(retried.code, retried.stderr).toBe(0);
    const done = await ended(id);
    expect(done.task).toMatchObject({ status: "review", outcome: "succeeded", attempts: 1 });
    expect(done.runs.map((r) => r.outcome)).toEqual(["cancelled", "succeeded"]);
    expect(done.task.sessionKey).toBe(`agent:main:clawops-task-${id}-2`);
  });

  it("runs a schedule twice unattended, never overlapping, and keeps its history", async () => {
    const added = await up.cli([
      "schedule",
      "add",
      "alpha",
      "Heartbeat: all well?",
      "--every",
      "5s",
      // Not the default (the period): a turn on a busy machine may take longer than 5 s.
      "--time-limit",
      "60s",
      "--now",
      "--json",
    ]);
    expect(added.code, added.stderr).toBe(0);
    const { schedule } = JSON.parse(added.stdout) as { schedule: Schedule };
    const history = await until(
      "two finished runs",
      () => get<{ schedule: Schedule; tasks: Task[] }>(`/schedules/${schedule.id}`),
      (v) => v.tasks.filter((t) => t.status === "done").length >= 2,
      45_000,
    );
    const paused = await up.cli(["schedule", "pause", schedule.id]);
    expect(paused.code, paused.stderr).toBe(0);
    const runs = history.tasks.filter((t) => t.status === "done").reverse();
    expect(
      runs.map((t) => [t.outcome, t.scheduleId, t.error]),
      JSON.stringify(runs),
    ).toEqual(runs.map(() => ["succeeded", schedule.id, null]));
    expect(new Set(runs.map((t) => t.sessionKey)).size).toBe(runs.length);
    // About one period apart, and each began after the one before it had ended.
    for (let i = 1; i < runs.length; i += 1) {
      expect(Date.parse(runs[i]!.createdAt)).toBeGreaterThanOrEqual(
        Date.parse(runs[i - 1]!.finishedAt!),
      );
      expect(
        Date.parse(runs[i]!.createdAt) - Date.parse(runs[i - 1]!.createdAt),
      ).toBeGreaterThanOrEqual(4_900);
    }
    expect(history.schedule.lastRunAt).not.toBeNull();
    const listed = await up.cli(["schedule", "list", "--json"]);
    expect((JSON.parse(listed.stdout) as { schedules: Schedule[] }).schedules).toEqual([
      expect.objectContaining({ id: schedule.id, enabled: false }) as Schedule,
    ]);
    // Paused: no new task, even once due again.
    const count = (await get<{ tasks: Task[] }>(`/tasks?schedule=${schedule.id}`)).tasks.length;
    await sleep(6_000);
    expect((await get<{ tasks: Task[] }>(`/tasks?schedule=${schedule.id}`)).tasks.length).toBe(
      count,
    );
    const removed = await up.cli(["schedule", "remove", schedule.id]);
    expect(removed.code, removed.stderr).toBe(0);
  });

  it("follows a running attempt again after a daemon restart, to its end, without a second run", async () => {
    llm.setChunkDelayMs(120_000);
    try {
      const { json } = await post<{ task: Task }>("/tasks", {
        bot: "alpha",
        prompt: "Survive a restart.",
        timeLimitMs: 15_000,
      });
      const id = json.task.id;
      await until(
        "in progress",
        () => show(id),
        (v) => v.task.status === "in_progress" && v.runs.length === 1,
      );
      // The gateway keeps running (onExit: keep), and so does the attempt's run on it.
      await up.stopDaemon();
      await up.startDaemon();
      const done = await ended(id, 60_000);
      expect(done.task).toMatchObject({ status: "done", outcome: "timed_out", attempts: 1 });
      expect(done.runs).toHaveLength(1);
      // Ended by the restarted daemon at the original deadline, not by a fresh one.
      expect(done.runs[0]!.durationMs).toBeGreaterThanOrEqual(14_900);
      expect(done.runs[0]!.durationMs).toBeLessThan(30_000);
    } finally {
      llm.setChunkDelayMs(5);
    }
  });

  it("holds a gated task for a person: approved it runs, denied it ends, refused it is never made", async () => {
    const gated = await post<{ task: Task }>("/tasks", {
      bot: "alpha",
      prompt: "Deploy the release.",
    });
    expect(gated.status).toBe(201);
    const id = gated.json.task.id;
    expect(gated.json.task).toMatchObject({
      status: "inbox",
      gate: {
        state: "pending",
        by: "rule 1",
        reason: "deploys need a second look",
        decidedBy: null,
      },
    });
    // Nothing moves it but a decision, and nothing dispatches it meanwhile.
    const moved = await post<{ error: { message: string } }>(`/tasks/${id}/move`, {
      to: "assigned",
    });
    expect(moved.status).toBe(409);
    expect(moved.json.error.message).toContain("waits for approval");
    await sleep(2_000);
    expect(await show(id)).toMatchObject({ task: { status: "inbox", attempts: 0 }, runs: [] });
    const shown = await up.cli(["task", "show", id]);
    expect(shown.stdout).toContain("gate pending (rule 1: deploys need a second look)");

    const approved = await up.cli(["task", "approve", id, "--json"]);
    expect(approved.code, approved.stderr).toBe(0);
    const done = await ended(id);
    expect(done.task).toMatchObject({ status: "review", outcome: "succeeded" });
    expect(done.task.gate).toMatchObject({ state: "approved", by: "rule 1" });
    expect(done.task.gate!.decidedBy).toMatch(/#/); // who, and the request's id
    expect(JSON.stringify(llm.requests.at(-1)?.body?.messages)).toContain("Deploy the release.");
    // Decided once: a second decision is refused.
    expect((await post(`/tasks/${id}/deny`)).status).toBe(409);

    // Asked for by its creator, denied by a person: done, cancelled, with the reason.
    const asked = await up.cli(["task", "add", "alpha", "Summarise the logs.", "--gate", "--json"]);
    expect(asked.code, asked.stderr).toBe(0);
    const second = (JSON.parse(asked.stdout) as { task: Task }).task;
    expect(second.gate).toMatchObject({ state: "pending", by: "requested" });
    const denied = await post<{ task: Task }>(`/tasks/${second.id}/deny`, { reason: "not today" });
    expect(denied.status).toBe(200);
    expect(denied.json.task).toMatchObject({
      status: "done",
      outcome: "cancelled",
      gate: { state: "denied", reason: "not today" },
    });
    expect(denied.json.task.error).toContain("not today");
    expect((await show(second.id)).runs).toEqual([]);

    // A rule that denies: refused outright, nothing on the board.
    const before = (await get<{ tasks: Task[] }>("/tasks?bot=alpha&limit=1000")).tasks.length;
    const refused = await post<{ error: { code: string; message: string } }>("/tasks", {
      bot: "alpha",
      prompt: "Then DROP TABLE users.",
    });
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toContain("refused by rule 2");
    expect((await get<{ tasks: Task[] }>("/tasks?bot=alpha&limit=1000")).tasks).toHaveLength(
      before,
    );
  });

  it("sums analytics per bot, and the board's changes are in the events and the audit trail", async () => {
    const { bots } = await get<{ bots: TaskAnalytics[] }>("/tasks/analytics?bot=alpha");
    expect(bots).toHaveLength(1);
    const alpha = bots[0]!;
    expect(alpha.succeeded).toBeGreaterThanOrEqual(4);
    expect(alpha.timedOut).toBeGreaterThanOrEqual(1);
    expect(alpha.successRate).toBeCloseTo(
      alpha.succeeded / (alpha.succeeded + alpha.failed + alpha.timedOut),
      9,
    );
    expect(alpha.meanCompletionMs).toBeGreaterThan(0);
    expect(alpha.costPerTaskUsd).toBeCloseTo(alpha.costUsd / alpha.finished, 12);
    expect(alpha.costUsd).toBeGreaterThan(0);

    const types = new Set(
      (await get<{ events: { type: string }[] }>("/events?type=task.&limit=1000")).events.map(
        (e) => e.type,
      ),
    );
    expect([...types].sort()).toEqual([
      "task.completed",
      "task.created",
      "task.failed",
      "task.gate",
      "task.moved",
      "task.started",
    ]);
    const audit = await get<{ entries: { method: string; route: string }[] }>("/audit?limit=200");
    const routes = new Set(audit.entries.map((e) => `${e.method} ${e.route}`));
    for (const route of [
      "POST /api/v1/tasks",
      "POST /api/v1/tasks/:id/move",
      "POST /api/v1/tasks/:id/cancel",
      "POST /api/v1/tasks/:id/retry",
      "POST /api/v1/tasks/:id/approve",
      "POST /api/v1/tasks/:id/deny",
      "POST /api/v1/schedules",
      "POST /api/v1/schedules/:id/pause",
      "DELETE /api/v1/schedules/:id",
    ])
      expect(routes, route).toContain(route);
  });
});
