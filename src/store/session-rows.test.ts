import { describe, expect, it } from "vitest";
import { utcTime } from "./session-rows.js";

describe("utcTime", () => {
  it("gives toISOString()'s form, keeping a time already in it", () => {
    const times = [
      "2026-11-01T10:00:00.000Z",
      "2026-11-01T10:00:00+02:00",
      "2026-11-01T10:00Z",
      "2026-11-01T10:00:00.123456Z",
      "2024-02-29T12:00:00.000Z",
      "2000-02-29T00:00:00.000Z",
      "0001-01-01T00:00:00.000Z",
      // Days and hours that Date.parse rolls into the next day.
      "2026-02-30T00:00:00.000Z",
      "2023-02-29T12:00:00.000Z",
      "2100-02-29T00:00:00.000Z",
      "2026-04-31T00:00:00.000Z",
      "2026-12-31T24:00:00.000Z",
    ];
    for (const time of times) {
      expect(utcTime(time, "at")).toBe(new Date(Date.parse(time)).toISOString());
    }
    expect(utcTime("2026-02-30T00:00:00.000Z", "at")).toBe("2026-03-02T00:00:00.000Z");
  });

  it("refuses a time without a zone, or one that is no time", () => {
    for (const time of [
      "2026-11-01T10:00:00",
      "2026-13-01T00:00:00.000Z",
      "2026-01-10T23:60:00.000Z",
      5,
    ]) {
      expect(() => utcTime(time, "at")).toThrow(/at must be an ISO 8601 time with a zone/);
    }
  });
});
