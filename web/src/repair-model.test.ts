import { describe, expect, it } from "vitest";
import type { RepairStatus } from "../../src/core/repair.js";
import { actorText, cooldownText, durationText, repairView } from "./repair-model.js";

const status = (over: Partial<RepairStatus> = {}): RepairStatus => ({
  enabled: true,
  dryRun: false,
  budget: { maxPerHour: 3, cooldownMs: 1_800_000 },
  pauses: [],
  budgets: [
    { bot: "alpha", repairing: false, remaining: 3, cooldownUntil: null },
    { bot: "bravo", repairing: true, remaining: 1, cooldownUntil: null },
    { bot: "charlie", repairing: false, remaining: 0, cooldownUntil: "2026-12-01T01:00:00.000Z" },
  ],
  ...over,
});
const bots = [
  { id: "a1", name: "alpha" },
  { id: "b1", name: "bravo" },
  { id: "c1", name: "charlie" },
];
const pause = (botId: string | null) => ({ botId, by: "user:olga", reason: "upgrade", since: "x" });

describe("the repairs page", () => {
  it("says each bot's budget used against its limit, paused and cooling down first", () => {
    const view = repairView(status({ pauses: [pause("b1")] }), bots);
    expect(view.rows.map((r) => [r.bot, r.used, r.limit, r.pause?.by ?? null])).toEqual([
      ["bravo", 2, 3, "user:olga"],
      ["charlie", 3, 3, null],
      ["alpha", 0, 3, null],
    ]);
    expect(view.fleetPause).toBeNull();
    expect(view.rows[0]!.repairing).toBe(true);
  });

  it("keeps the fleet-wide pause apart, and ignores a pause of a bot it does not know", () => {
    const view = repairView(status({ pauses: [pause(null), pause("gone")] }), bots);
    expect(view.fleetPause?.reason).toBe("upgrade");
    expect(view.rows.every((r) => r.pause === null)).toBe(true);
  });

  it("says a cooldown and a policy's durations in words", () => {
    const now = Date.parse("2026-12-01T00:37:00.000Z");
    expect(cooldownText(null, now)).toBe("–");
    expect(cooldownText("2026-12-01T01:00:00.000Z", now)).toMatch(/^until .+ \(23m left\)$/);
    expect(cooldownText("2026-12-01T00:00:00.000Z", now)).toMatch(/\(0s left\)$/);
    expect(durationText(1_800_000)).toBe("30 min");
    expect(durationText(7_200_000)).toBe("2 h");
    expect(durationText(45_000)).toBe("45 s");
    expect(actorText("user:ada#7e9e31a2-1f79")).toBe("user:ada");
    expect(actorText("cli")).toBe("cli");
  });
});
