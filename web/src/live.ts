import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState } from "react";
import { api } from "./api.js";

/** The realtime channel's state, as the connection badge shows it. */
export type LiveState = "connecting" | "live" | "offline";

export const LiveContext = createContext<LiveState>("connecting");
export const useLiveState = () => useContext(LiveContext);

/** Queries an event may change: refetched together, at most this often. */
const SETTLE_MS = 150;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * Follows `org:<org>:events` on `/ws` (docs/realtime.md; the login cookie
 * authenticates it) and refetches what events change. Reconnects with
 * exponential backoff and jitter; the state says whether the screen is current.
 */
export function useLiveEvents(org: string): LiveState {
  const queries = useQueryClient();
  const [state, setState] = useState<LiveState>("connecting");
  useEffect(() => {
    let socket: WebSocket | null = null;
    let retryMs = RETRY_MIN_MS;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let settle: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const changed = () => {
      settle ??= setTimeout(() => {
        settle = undefined;
        refetchLive(queries);
      }, SETTLE_MS);
    };
    const connect = () => {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${location.host}/ws`);
      socket.onmessage = (message) => {
        const frame = JSON.parse(String(message.data)) as { type: string };
        if (frame.type === "connected") {
          socket?.send(JSON.stringify({ type: "subscribe", room: `org:${org}:events` }));
        } else if (frame.type === "subscribed") {
          retryMs = RETRY_MIN_MS;
          setState("live");
          // What happened while the socket was down.
          refetchLive(queries);
        } else if (frame.type === "event") changed();
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
    };
  }, [org, queries]);
  return state;
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
  for (const key of ["status", "events", "repairs", "sessions"])
    void queries.invalidateQueries({ queryKey: [key] });
}
