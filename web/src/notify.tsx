import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { useLiveQuery } from "./live.js";
import { type ListedNotification, countText, unread, withRead } from "./notify-model.js";

/** The notification centre as the bell and its page see it. */
export interface Notifications {
  list: ListedNotification[];
  /** Read marks by `notificationKey`. */
  read: ReadonlySet<string>;
  unreadCount: number;
  /** Whether the list could be read. */
  error: Error | null;
  markRead: (keys: readonly string[]) => void;
}

export const NotificationsContext = createContext<Notifications>({
  list: [],
  read: new Set(),
  unreadCount: 0,
  error: null,
  markRead: () => {},
});
export const useNotificationCentre = () => useContext(NotificationsContext);

/**
 * The organisation's latest notifications (`GET /api/v1/notifications`,
 * refetched by each `/ws` notification frame: live.ts) and which of them this
 * browser marked read: kept in localStorage per principal, since the daemon
 * keeps no read state (and forgets its list at a restart).
 */
export function useNotifications(principalId: string): Notifications {
  const listed = useLiveQuery<{ notifications: ListedNotification[] }>(
    ["notifications"],
    "/notifications",
  );
  const storageKey = `clawops.read.${principalId}`;
  const [marks, setMarks] = useState<string[]>(() => loadMarks(storageKey));
  useEffect(() => {
    setMarks(loadMarks(storageKey));
    // Another tab marked some read.
    const changed = (event: StorageEvent) => {
      if (event.key === storageKey) setMarks(loadMarks(storageKey));
    };
    window.addEventListener("storage", changed);
    return () => window.removeEventListener("storage", changed);
  }, [storageKey]);
  const markRead = useCallback(
    (keys: readonly string[]) =>
      setMarks((before) => {
        const next = withRead(before, keys);
        try {
          localStorage.setItem(storageKey, JSON.stringify(next));
        } catch {
          // A full or disabled storage: the marks hold for this page only.
        }
        return next;
      }),
    [storageKey],
  );
  const list = listed.data?.notifications;
  return useMemo(() => {
    const read = new Set(marks);
    const all = list ?? [];
    return {
      list: all,
      read,
      unreadCount: unread(all, read).length,
      error: listed.error,
      markRead,
    };
  }, [list, marks, listed.error, markRead]);
}

function loadMarks(key: string): string[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(key) ?? "[]") as unknown;
    return Array.isArray(parsed) ? parsed.filter((k): k is string => typeof k === "string") : [];
  } catch {
    return [];
  }
}

/** The top bar's bell: a link to the notification centre with the unread count. */
export function Bell({ current }: { current: boolean }) {
  const { unreadCount } = useNotificationCentre();
  const label =
    unreadCount === 0 ? "Notifications" : `Notifications, ${countText(unreadCount)} unread`;
  return (
    <a
      className="bell"
      href="#/notifications"
      aria-label={label}
      title={label}
      aria-current={current ? "page" : undefined}
    >
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
        <path
          fill="currentColor"
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
        />
      </svg>
      {/* Always there (hidden at zero), so a count that comes or goes shifts nothing. */}
      <span className={unreadCount === 0 ? "bell-count none" : "bell-count"} aria-hidden="true">
        {countText(unreadCount)}
      </span>
    </a>
  );
}
