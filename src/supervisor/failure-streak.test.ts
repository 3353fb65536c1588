import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_RESTART_POLICY as P } from "./restart-policy.js";
import { FailureStreak, captureExit } from "./failure-streak.js";

const MIN = 60_000;

describe("failure streak", () => {
  it("backs off more with each failure in a row, and starts over after a long healthy run", () => {
    const streak = new FailureStreak(P);
    const delays = [1, 2, 3].map((i) => streak.count(i * MIN, [], 1).decision);
    expect(delays.map((d) => (d.action === "restart" ? d.delayMs : d.action))).toEqual([
      0, 1_000, 2_000,
    ]);
    streak.live(4 * MIN);
    // Healthy for less than resetAfter: still the same streak.
    expect(streak.count(5 * MIN, [], 1).decision).toMatchObject({ attempt: 4 });
    streak.live(6 * MIN);
    expect(streak.count(6 * MIN + P.resetAfterMs, [], 1).decision).toMatchObject({
      action: "restart",
      delayMs: 0,
      attempt: 1,
    });
  });

  it("counts the failures still inside the crash-loop window, and an operator's start forgets the streak", () => {
    const streak = new FailureStreak(P);
    const now = 100 * MIN;
    const earlier = [now - P.crashLoopWindowMs - 1, now - 1_000].map((t) =>
      new Date(t).toISOString(),
    );
    expect(streak.count(now, earlier, 1).failuresMs).toEqual([now - 1_000, now]);
    const nine = Array.from({ length: 9 }, (_, i) => new Date(now - i * 1_000).toISOString());
    expect(streak.count(now, nine, 1).decision).toMatchObject({ action: "fail", escalate: true });
    streak.forget();
    expect(streak.count(now, [], 1).decision).toMatchObject({ delayMs: 0, attempt: 1 });
  });

  it("runs a pending restart after its delay unless cancelled", async () => {
    const streak = new FailureStreak(P);
    const ran: string[] = [];
    streak.later(5, () => ran.push("first"));
    streak.cancel();
    streak.later(5, () => ran.push("second"));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(ran).toEqual(["second"]);
  });
});

describe("captureExit", () => {
  it("keeps the log's last 20 lines and masks secrets in the reason and the tail", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "clawops-exit-"));
    try {
      const log = path.join(dir, "gateway.log");
      const lines = Array.from({ length: 30 }, (_, i) => `line ${i} token=s3cret-value`);
      writeFileSync(log, `${lines.join("\n")}\n`);
      const redact = (text: string) => text.replaceAll("s3cret-value", "***");
      const exit = captureExit({ code: 1, signal: null }, null, log, redact, 0);
      expect(exit).toMatchObject({ code: 1, signal: null, at: new Date(0).toISOString() });
      expect(exit.reason).toMatch(/1/);
      expect(exit.logTail).toHaveLength(20);
      expect(exit.logTail?.[0]).toBe("line 10 token=***");
      expect(JSON.stringify(exit)).not.toContain("s3cret-value");
      const killed = captureExit(
        { code: null, signal: "SIGKILL" },
        "hung: s3cret-value",
        log,
        redact,
      );
      expect(killed.reason).toBe("hung: ***");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
