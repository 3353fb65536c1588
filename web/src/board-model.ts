import type { Task, TaskStatus } from "../../src/core/task.js";

/** The board's columns, left to right, with their headings. */
export const COLUMNS: readonly { status: TaskStatus; label: string }[] = [
  { status: "inbox", label: "Inbox" },
  { status: "assigned", label: "Assigned" },
  { status: "in_progress", label: "In progress" },
  { status: "review", label: "Review" },
  { status: "done", label: "Done" },
];

/** Where a card may be moved by hand from its column (the API refuses the rest: 409). */
export function movesFrom(status: TaskStatus, gated = false): TaskStatus[] {
  // A card its gate holds moves only by a decision (approve or deny).
  if (gated) return [];
  if (status === "inbox") return ["assigned"];
  if (status === "assigned") return ["inbox"];
  if (status === "review") return ["done", "inbox"];
  return [];
}

/** Cards by column, newest change first in each. */
export function byColumn(tasks: readonly Task[]): Map<TaskStatus, Task[]> {
  const columns = new Map<TaskStatus, Task[]>(COLUMNS.map((c) => [c.status, []]));
  for (const task of [...tasks].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)))
    columns.get(task.status)?.push(task);
  return columns;
}

/** A card's one-line state: how it ended, its retry, or its attempt. */
export function cardState(task: Task, now = Date.now()): string {
  if (task.outcome === "succeeded") return "succeeded";
  if (task.outcome)
    return `${task.outcome.replace("_", " ")}${task.error ? `: ${task.error}` : ""}`;
  if (task.nextAttemptAt) {
    const s = Math.max(0, Math.round((Date.parse(task.nextAttemptAt) - now) / 1000));
    return `retry ${task.attempts + 1}/${task.maxAttempts} in ${s} s`;
  }
  if (task.status === "in_progress") return `attempt ${task.attempts}/${task.maxAttempts}`;
  if (task.gate?.state === "pending")
    return `awaiting approval (${task.gate.by}: ${task.gate.reason})`;
  return task.status === "inbox" ? "waiting to be assigned" : "queued";
}
