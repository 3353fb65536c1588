import { describe, expect, it } from "vitest";
import type { Bot } from "../../core/bot.js";
import { newInstance } from "../../core/gateway-state.js";
import { renderLifecycle } from "./lifecycle.js";

const bot = { id: "b1", name: "demo", port: 18789 } as Bot;

describe("renderLifecycle", () => {
  const earlier = {
    code: null,
    signal: "SIGKILL",
    reason: "killed by SIGKILL",
    at: "2026-11-30T01:00:00.000Z",
    logTail: ["old line from the earlier incident"],
  };
  const failed = {
    ...newInstance("b1"),
    state: "failed" as const,
    reason: "cannot start: the state dir is not writable (EEXIST)",
    lastExit: earlier,
  };

  it("does not blame a failed start on an exit from an earlier incident", () => {
    const text = renderLifecycle({ bot, gateway: failed, requestedAt: "2026-11-30T02:00:00.000Z" });
    expect(text).toBe("demo failed: cannot start: the state dir is not writable (EEXIST)");
  });

  it("shows the exit and the output of this attempt", () => {
    const now = { ...earlier, at: "2026-11-30T02:00:05.000Z", reason: "exit 1" };
    const text = renderLifecycle({
      bot,
      gateway: { ...failed, lastExit: now },
      requestedAt: "2026-11-30T02:00:00.000Z",
    });
    expect(text).toContain(
      "\nlast failure: exit 1\nlast output:\n  old line from the earlier incident",
    );
  });
});
