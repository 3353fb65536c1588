import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useMemo, useRef, useState } from "react";
import { api } from "./api.js";

/** The realtime channel's state, as the connection badge shows it. */
export type LiveState = "connecting" | "live" | "offline";

/** The channel as pages see it: its state, and the rooms they join beside the organisation's. */
export interface LiveChannel {
  state: LiveState;
  /** Joins `room` (e.g. `bot:<name>:sessions`) while the caller needs it; returns the leave. */
  join: (room: string) => () => void;
}

export const LiveContext = createContext<LiveChannel>({
  state: "connecting",
  join: () => () => {},
});
export const useLiveState = () => useContext(LiveContext).state;

/**
 * Queries an event may change are refetched at once on the first event after
 * a quiet spell (an event reaches the screen in one fetch), then at most once
 * per this window while events keep coming (a burst is one refetch, not many).
 */
const SETTLE_MS = 150;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * Follows `org:<org>:events` on `/ws` (docs/realtime.md; the login cookie
 * authenticates it) and the rooms pages join, and refetches what events change.
 * Reconnects with exponential backoff and jitter; the state says whether the screen is current.
 */
export function useLiveEvents(org: string): LiveChannel {
  const queries = useQueryClient();
  const [state, setState] = useState<LiveState>("connecting");
  // Room -> how many mounted views need it; kept across reconnects.
  const rooms = useRef(new Map<string, number>());
  const socketRef = useRef<WebSocket | null>(null);
  useEffect(() => {
    let socket: WebSocket | null = null;
    let retryMs = RETRY_MIN_MS;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let settle: ReturnType<typeof setTimeout> | undefined;
    let pending = false;
    let stopped = false;
    const changed = () => {
      if (settle) {
        pending = true;
        return;
      }
      refetchLive(queries);
      const close = () => {
        settle = undefined;
        if (!pending) return;
        pending = false;
        refetchLive(queries);
        settle = setTimeout(close, SETTLE_MS);
      };
      settle = setTimeout(close, SETTLE_MS);
    };
    const connect = () => {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${location.host}/ws`);
      socketRef.current = socket;
      socket.onmessage = (message) => {
        const frame = JSON.parse(String(message.data)) as {
          type: string;
          room?: string;
          notifications?: string;
        };
        if (frame.type === "connected") {
          // The caller's own notifications room too: its offline queue, then live ones.
          const own = frame.notifications ? [frame.notifications] : [];
          for (const room of [`org:${org}:events`, ...own, ...rooms.current.keys()])
            socket?.send(JSON.stringify({ type: "subscribe", room }));
        } else if (frame.type === "subscribed" && frame.room === `org:${org}:events`) {
          retryMs = RETRY_MIN_MS;
          setState("live");
          // What happened while the socket was down.
          refetchLive(queries);
          void queries.invalidateQueries({ queryKey: ["notifications"] });
        } else if (frame.type === "event") changed();
        else if (frame.type === "notification")
          // The bell's list is the daemon's (GET /notifications): read it again.
          void queries.invalidateQueries({ queryKey: ["notifications"] });
      };
      socket.onclose = () => {
        if (stopped) return;
        setState("offline");
        const wait = retryMs / 2 + Math.random() * (retryMs / 2);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        retry = setTimeout(connect, wait);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      clearTimeout(settle);
      socket?.close();
      socketRef.current = null;
    };
  }, [org, queries]);
  const [join] = useState(() => (room: string) => {
    const send = (type: "subscribe" | "unsubscribe") => {
      const socket = socketRef.current;
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type, room }));
    };
    const count = rooms.current.get(room) ?? 0;
    rooms.current.set(room, count + 1);
    if (count === 0) send("subscribe");
    return () => {
      const left = (rooms.current.get(room) ?? 1) - 1;
      if (left > 0) rooms.current.set(room, left);
      else {
        rooms.current.delete(room);
        send("unsubscribe");
      }
    };
  });
  return useMemo(() => ({ state, join }), [state, join]);
}

/** Joins `room` on the live channel while the calling view is mounted. */
export function useLiveRoom(room: string): void {
  const { join } = useContext(LiveContext);
  useEffect(() => join(room), [join, room]);
}

/** How often a page's data is read: often while the channel is down, rarely as a check while it is up. */
export const refreshMs = (live: LiveState) => (live === "live" ? 30_000 : 5_000);

/**
 * `GET /api/v1<path>` under `key`, read again by the poll above and at once by the events that
 * change it (the key's first part is one of those `refetchLive` names).
 */
export function useLiveQuery<T>(key: readonly [string, ...unknown[]], path: string) {
  const live = useLiveState();
  return useQuery({ queryKey: key, queryFn: () => api<T>(path), refetchInterval: refreshMs(live) });
}

function refetchLive(queries: QueryClient) {
  for (const key of ["status", "health", "events", "repairs", "sessions", "tasks", "approvals"])
    void queries.invalidateQueries({ queryKey: [key] });
}
