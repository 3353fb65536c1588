import { describe, expect, it } from "vitest";
import { publicStatusOf } from "./health.js";
import { statusDays } from "./status-page.js";

const at = (iso: string) => Date.parse(iso);
const now = at("2026-11-30T12:00:00Z");

describe("a status page's days", () => {
  it("colours each day by the worst that lasted five minutes, and counts uptime over the time meant to run", () => {
    const { days, uptime } = statusDays(
      [
        { at: at("2026-11-28T10:00:00Z"), to: "crashed" },
        { at: at("2026-11-28T10:00:30Z"), to: "running" }, // 30 s: not noticeable
        { at: at("2026-11-29T08:00:00Z"), to: "failed" },
        { at: at("2026-11-29T09:00:00Z"), to: "running" }, // an hour down
        { at: at("2026-11-30T06:00:00Z"), to: "degraded" },
        { at: at("2026-11-30T06:10:00Z"), to: "running" },
      ],
      "running",
      now,
      4,
    );
    expect(days).toEqual([
      { date: "2026-11-27", status: "up" },
      { date: "2026-11-28", status: "up" },
      { date: "2026-11-29", status: "down" },
      { date: "2026-11-30", status: "degraded" },
    ]);
    // 3.5 days meant to run, 1 h 0.5 min down.
    const meantMs = 3.5 * 86_400_000;
    expect(uptime).toBeCloseTo((meantMs - 3_630_000) / meantMs, 6);
  });

  it("says off for days a bot was not meant to run, and has no uptime without such time", () => {
    const stopped = statusDays([], "stopped", now, 3);
    expect(stopped.days.map((d) => d.status)).toEqual(["off", "off", "off"]);
    expect(stopped.uptime).toBeNull();
    const started = statusDays(
      [{ at: at("2026-11-30T11:00:00Z"), to: "running" }],
      "stopped",
      now,
      2,
    );
    expect(started.days.map((d) => d.status)).toEqual(["off", "up"]);
    expect(started.uptime).toBe(1);
  });

  it("reads supervisor states as the public would", () => {
    expect(
      ["running", "degraded", "starting", "crashed", "backoff", "failed", "stopped"].map((s) =>
        publicStatusOf(s as never),
      ),
    ).toEqual(["up", "degraded", "degraded", "down", "down", "down", "off"]);
  });
});
