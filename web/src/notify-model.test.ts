import { describe, expect, it } from "vitest";
import {
  type ListedNotification,
  countText,
  kindLook,
  notificationKey,
  unread,
  withRead,
} from "./notify-model.js";

const n = (title: string, over: Partial<ListedNotification> = {}): ListedNotification => ({
  seq: 1,
  kind: "escalated",
  bot: "alpha",
  title,
  lines: [],
  ts: "2026-12-01T00:00:00.000Z",
  ...over,
});

describe("the notification centre", () => {
  it("knows a notification by what it says and when, not by its sequence number", () => {
    expect(notificationKey(n("a", { seq: 1 }))).toBe(notificationKey(n("a", { seq: 7 })));
    expect(notificationKey(n("a"))).not.toBe(notificationKey(n("a", { bot: null })));
    expect(notificationKey(n("a"))).not.toBe(
      notificationKey(n("a", { ts: "2026-12-01T00:00:01.000Z" })),
    );
  });

  it("counts what is not marked read", () => {
    const list = [n("a"), n("b"), n("c")];
    const read = new Set([notificationKey(n("b"))]);
    expect(unread(list, read).map((x) => x.title)).toEqual(["a", "c"]);
    expect(unread([], read)).toEqual([]);
  });

  it("keeps read marks without duplicates, dropping the oldest beyond the cap", () => {
    expect(withRead(["a"], ["b", "a", "b"])).toEqual(["a", "b"]);
    expect(withRead(["a", "b", "c"], ["d"], 3)).toEqual(["b", "c", "d"]);
    expect(withRead([], [])).toEqual([]);
  });

  it("says the count and the kind's look", () => {
    expect(countText(0)).toBe("0");
    expect(countText(99)).toBe("99");
    expect(countText(100)).toBe("99+");
    expect(kindLook("recovered")).toEqual({ tone: "up", word: "recovered" });
    expect(kindLook("warning").tone).toBe("degraded");
    expect(kindLook("info").tone).toBe("changing");
  });
});
