import { describe, expect, it } from "vitest";
import type { BudgetState } from "../core/budget.js";
import {
  type WindowInput,
  evaluateWindow,
  levelOf,
  pausesHolding,
  periodEnd,
  periodStart,
} from "./evaluate.js";
import type { BudgetLimit } from "./settings.js";

const at = (iso: string) => Date.parse(iso);
const daily: BudgetLimit = {
  scope: "bot",
  name: "alpha",
  window: "day",
  limitUsd: 10,
  warnAt: 0.8,
  action: "pause",
};

/** A paused state of alpha's daily budget on 2026-11-30, changed by `extra`. */
const state = (extra: Partial<BudgetState> = {}): BudgetState => ({
  scope: "bot",
  name: "alpha",
  window: "day",
  periodStart: "2026-11-30T00:00:00.000Z",
  level: "exceeded",
  paused: true,
  spentUsd: 11,
  limitUsd: 10,
  updatedAt: "2026-11-30T10:00:00.000Z",
  ...extra,
});

/** Feeds spends through evaluateWindow as the service does, saving each `next`. */
function run(
  limit: BudgetLimit | null,
  steps: [iso: string, spentUsd: number][],
  from?: BudgetState,
) {
  let state: BudgetState | null = from ?? null;
  return steps.map(([iso, spentUsd]) => {
    const input: WindowInput = {
      scope: "bot",
      name: "alpha",
      window: limit?.window ?? "day",
      limit,
      spentUsd,
      state,
      nowMs: at(iso),
    };
    const verdict = evaluateWindow(input);
    if (verdict.next) state = verdict.next;
    return { ...verdict, state };
  });
}

describe("budget periods", () => {
  it("start at UTC midnight and on the 1st of the month, and end at the next", () => {
    const now = at("2026-11-30T23:59:59.999Z");
    expect(periodStart("day", now)).toBe("2026-11-30T00:00:00.000Z");
    expect(periodEnd("day", now)).toBe("2026-12-01T00:00:00.000Z");
    expect(periodStart("month", now)).toBe("2026-11-01T00:00:00.000Z");
    expect(periodEnd("month", now)).toBe("2026-12-01T00:00:00.000Z");
    expect(periodStart("day", at("2026-12-01T00:00:00.000Z"))).toBe("2026-12-01T00:00:00.000Z");
    expect(periodEnd("month", at("2026-12-31T12:00:00Z"))).toBe("2027-01-01T00:00:00.000Z");
    // Local midnight elsewhere is not the boundary: 01:00 in UTC+2 is still the 30th in UTC.
    expect(periodStart("day", at("2026-12-01T01:00:00+02:00"))).toBe("2026-11-30T00:00:00.000Z");
    expect(periodEnd("month", at("2028-02-10T00:00:00Z"))).toBe("2028-03-01T00:00:00.000Z");
  });

  it("levels: warning from warnAt of the limit, exceeded at the limit itself", () => {
    expect(levelOf(7.99, 10, 0.8)).toBe("ok");
    expect(levelOf(8, 10, 0.8)).toBe("warning");
    expect(levelOf(9.99, 10, 0.8)).toBe("warning");
    expect(levelOf(10, 10, 0.8)).toBe("exceeded");
    expect(levelOf(9.5, 10, 0.95)).toBe("warning");
    expect(levelOf(0, 10, 0.5)).toBe("ok");
  });
});

describe("evaluateWindow", () => {
  it("announces each level once per period, pausing at the limit with action pause", () => {
    const steps = run(daily, [
      ["2026-11-30T08:00:00Z", 5],
      ["2026-11-30T09:00:00Z", 8.5],
      ["2026-11-30T09:00:05Z", 9],
      ["2026-11-30T10:00:00Z", 10.2],
      ["2026-11-30T11:00:00Z", 14],
    ]);
    expect(steps.map((s) => s.crossed)).toEqual([[], ["warning"], [], ["exceeded"], []]);
    expect(steps.map((s) => s.paused)).toEqual([false, false, false, true, false]);
    expect(steps.map((s) => s.next !== null)).toEqual([false, true, false, true, false]);
    expect(steps.at(-1)!.state).toEqual(state({ spentUsd: 10.2 }));
  });

  it("crosses the warning and the limit together when one message jumps past both", () => {
    const [step] = run({ ...daily, action: "notify" }, [["2026-11-30T08:00:00Z", 12]]);
    expect(step!.crossed).toEqual(["warning", "exceeded"]);
    expect(step!.paused).toBe(false);
    expect(step!.state).toMatchObject({ level: "exceeded", paused: false });
  });

  it("starts again at UTC midnight: the pause lifts and the warning is due again", () => {
    const steps = run(daily, [
      ["2026-11-30T23:00:00Z", 11],
      ["2026-11-30T23:59:59Z", 12],
      ["2026-12-01T00:00:30Z", 0],
      ["2026-12-01T10:00:00Z", 8],
    ]);
    expect(steps.map((s) => s.crossed)).toEqual([["warning", "exceeded"], [], [], ["warning"]]);
    expect(steps[2]!.resumed).toBe("period");
    expect(steps[2]!.state).toMatchObject({
      periodStart: "2026-12-01T00:00:00.000Z",
      level: "ok",
      paused: false,
    });
    expect(steps[3]!.state).toMatchObject({ level: "warning", paused: false });
  });

  it("starts a monthly budget again on the 1st, not at midnight", () => {
    const monthly = { ...daily, window: "month" as const, limitUsd: 100 };
    const steps = run(monthly, [
      ["2026-11-29T12:00:00Z", 101],
      ["2026-11-30T00:00:01Z", 101],
      ["2026-12-01T00:00:01Z", 3],
    ]);
    expect(steps.map((s) => s.resumed)).toEqual([null, null, "period"]);
    expect(steps[1]!.state).toMatchObject({
      paused: true,
      periodStart: "2026-11-01T00:00:00.000Z",
    });
    expect(steps[2]!.state).toMatchObject({
      paused: false,
      periodStart: "2026-12-01T00:00:00.000Z",
    });
  });

  it("treats a state from an earlier period as over, even without evaluating at the boundary", () => {
    const old = state({ periodStart: "2026-11-28T00:00:00.000Z", paused: false });
    const [step] = run(daily, [["2026-11-30T12:00:00Z", 9]], old);
    expect(step!.crossed).toEqual(["warning"]);
    expect(step!.resumed).toBeNull();
    expect(
      pausesHolding(
        [{ ...old, paused: true }],
        { name: "alpha", owner: null },
        at("2026-11-30T12:00:00Z"),
      ),
    ).toEqual([]);
  });

  it("keeps an operator's resume for the rest of the period: no second pause", () => {
    const [first] = run(daily, [["2026-11-30T10:00:00Z", 10]]);
    const resumed = { ...first!.state!, paused: false };
    const steps = run(daily, [["2026-11-30T11:00:00Z", 15]], resumed);
    expect(steps[0]!.next).toBeNull();
  });

  it("lifts a pause its budget no longer calls for: raised, set to notify, or removed", () => {
    const [first] = run(daily, [["2026-11-30T10:00:00Z", 10]]);
    const paused = first!.state!;
    for (const limit of [
      { ...daily, limitUsd: 50 },
      { ...daily, action: "notify" as const },
      null,
    ]) {
      const [step] = run(limit, [["2026-11-30T11:00:00Z", 12]], paused);
      expect(step!.resumed).toBe("limit");
      expect(step!.crossed).toEqual([]);
      expect(step!.state).toMatchObject({ paused: false, level: "exceeded" });
    }
    // Without a budget and without a pause there is nothing to do.
    expect(run(null, [["2026-11-30T11:00:00Z", 12]])[0]!.next).toBeNull();
  });

  it("finds the pauses holding a bot: its own and its owner's, in the current period only", () => {
    const now = at("2026-11-30T12:00:00Z");
    const states = [
      state({}),
      state({ name: "beta" }),
      state({
        scope: "owner",
        name: "team-a",
        window: "month",
        periodStart: "2026-11-01T00:00:00.000Z",
      }),
      state({
        scope: "owner",
        name: "team-b",
        window: "month",
        periodStart: "2026-11-01T00:00:00.000Z",
      }),
      state({ window: "month", periodStart: "2026-10-01T00:00:00.000Z" }),
      state({
        name: "alpha",
        window: "month",
        periodStart: "2026-11-01T00:00:00.000Z",
        paused: false,
      }),
    ];
    expect(
      pausesHolding(states, { name: "alpha", owner: "team-a" }, now).map(
        (s) => `${s.scope}:${s.name}:${s.window}`,
      ),
    ).toEqual(["bot:alpha:day", "owner:team-a:month"]);
    expect(pausesHolding(states, { name: "gamma", owner: null }, now)).toEqual([]);
  });
});
