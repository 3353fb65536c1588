import type { Notification, NotificationKind } from "../../src/core/notification.js";

/** A notification as `GET /api/v1/notifications` lists it (and `/ws` delivers it). */
export type ListedNotification = Omit<Notification, "dedupeKey"> & { seq: number };

/** How many read marks a browser keeps per principal: more than the daemon lists (100). */
export const READ_MARKS_KEPT = 300;

/**
 * A notification's identity for its read mark: not `seq`, which starts again
 * at 1 when the daemon restarts, but what it says and when.
 */
export function notificationKey(n: Pick<ListedNotification, "ts" | "kind" | "bot" | "title">) {
  return `${n.ts}|${n.kind}|${n.bot ?? ""}|${n.title}`;
}

/** The notifications not marked read, in the order given. */
export function unread(list: readonly ListedNotification[], read: ReadonlySet<string>) {
  return list.filter((n) => !read.has(notificationKey(n)));
}

/** The read marks with `keys` added, the oldest dropped beyond `kept`. */
export function withRead(
  marks: readonly string[],
  keys: readonly string[],
  kept = READ_MARKS_KEPT,
) {
  const known = new Set(marks);
  const next = [...marks];
  for (const key of keys) {
    if (known.has(key)) continue;
    known.add(key);
    next.push(key);
  }
  return next.slice(Math.max(0, next.length - kept));
}

/** The bell's count: at most "99+". */
export function countText(n: number): string {
  return n > 99 ? "99+" : String(n);
}

/** The badge class (the fleet's colours) and word of a notification's kind. */
export function kindLook(kind: NotificationKind): { tone: string; word: string } {
  switch (kind) {
    case "recovered":
      return { tone: "up", word: "recovered" };
    case "down":
      return { tone: "down", word: "down" };
    case "escalated":
      return { tone: "down", word: "escalated" };
    case "warning":
      return { tone: "degraded", word: "warning" };
    default:
      return { tone: "changing", word: "info" };
  }
}
