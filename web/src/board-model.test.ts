import { describe, expect, it } from "vitest";
import type { Task } from "../../src/core/task.js";
import { byColumn, cardState, movesFrom } from "./board-model.js";

const task = (over: Partial<Task>): Task =>
  ({
    id: "t1",
    status: "inbox",
    outcome: null,
    attempts: 0,
    maxAttempts: 3,
    error: null,
    nextAttemptAt: null,
    updatedAt: "2026-12-01T00:00:00.000Z",
    ...over,
  }) as Task;

describe("the task board", () => {
  it("puts cards in their columns, the newest change first", () => {
    const columns = byColumn([
      task({ id: "a", status: "review", updatedAt: "2026-12-01T00:00:01.000Z" }),
      task({ id: "b", status: "review", updatedAt: "2026-12-01T00:00:02.000Z" }),
      task({ id: "c", status: "done" }),
    ]);
    expect(columns.get("review")!.map((t) => t.id)).toEqual(["b", "a"]);
    expect(columns.get("done")!.map((t) => t.id)).toEqual(["c"]);
    expect(columns.get("inbox")).toEqual([]);
  });

  it("offers only the moves the API takes", () => {
    expect(movesFrom("inbox")).toEqual(["assigned"]);
    expect(movesFrom("review")).toEqual(["done", "inbox"]);
    expect(movesFrom("in_progress")).toEqual([]);
  });

  it("says how a card stands", () => {
    const now = Date.parse("2026-12-01T00:00:00.000Z");
    expect(cardState(task({ outcome: "timed_out", error: "no answer in 10m" }))).toBe(
      "timed out: no answer in 10m",
    );
    expect(cardState(task({ attempts: 1, nextAttemptAt: "2026-12-01T00:00:05.000Z" }), now)).toBe(
      "retry 2/3 in 5 s",
    );
    expect(cardState(task({ status: "in_progress", attempts: 2 }))).toBe("attempt 2/3");
  });
});
