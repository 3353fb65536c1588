import type { Usage } from "../core/session.js";
import type { Task, TaskStatus } from "../core/task.js";
import type { EventBus } from "../events/bus.js";
import type { AttemptResult } from "./attempt.js";

/** The task events' shared parts (catalogue: src/core/task-events.ts). */

export function tokensOf(usage: Usage) {
  return {
    input: usage.input,
    output: usage.output,
    cacheRead: usage.cacheRead,
    cacheWrite: usage.cacheWrite,
  };
}

export function publishMoved(
  bus: EventBus,
  task: Task,
  from: TaskStatus,
  reason: string,
  actor: string,
): void {
  if (from === task.status) return;
  bus.publish({
    type: "task.moved",
    botId: task.botId,
    actor,
    data: { id: task.id, from, to: task.status, reason },
  });
}

/** `task.gate`: the task's gate as it is now (pending when made, or decided). */
export function publishGate(bus: EventBus, task: Task, actor: string): void {
  if (!task.gate) return;
  const { state, by, reason } = task.gate;
  bus.publish({
    type: "task.gate",
    botId: task.botId,
    actor,
    data: { id: task.id, state, by, reason },
  });
}

/** `task.completed` for a success, `task.failed` otherwise (`retryAt` set when another attempt follows). */
export function publishFinished(
  bus: EventBus,
  task: Task,
  result: AttemptResult,
  retryAt: string | null,
  actor: string,
  attempt = task.attempts,
): void {
  if (result.outcome === "succeeded") {
    bus.publish({
      type: "task.completed",
      botId: task.botId,
      actor,
      data: {
        id: task.id,
        attempt,
        status: task.status,
        durationMs: task.durationMs ?? 0,
        tokens: tokensOf(task.usage),
        costUsd: task.usage.costUsd,
      },
    });
    return;
  }
  bus.publish({
    type: "task.failed",
    botId: task.botId,
    actor,
    data: {
      id: task.id,
      attempt,
      outcome: result.outcome,
      error: result.error,
      retryAt,
      tokens: tokensOf(task.usage),
      costUsd: task.usage.costUsd,
    },
  });
}
