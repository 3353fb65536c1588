import { useEffect, useState } from "react";

/** A bot's page has tabs; a session opens its transcript in the sessions tab. */
export const BOT_TABS = ["overview", "logs", "sessions", "cost", "config"] as const;
export type BotTab = (typeof BOT_TABS)[number];

/**
 * The page the URL's fragment names: `#/` the fleet, `#/tasks` the board,
 * `#/approvals` the execs waiting for a decision, `#/notifications` what
 * clawops told, `#/repairs` the repair budget and pauses, `#/access` users
 * and API tokens (admins), `#/readiness` the production-readiness report
 * (the install's own organisation), `#/bots/<name>[/<tab>]` a bot,
 * `#/bots/<name>/sessions/<id>` one of its transcripts.
 */
export type Route =
  | { page: "fleet" }
  | { page: "tasks" }
  | { page: "approvals" }
  | { page: "notifications" }
  | { page: "repairs" }
  | { page: "access" }
  | { page: "readiness" }
  | { page: "bot"; name: string; tab: BotTab; session: string | null };

const BOT = /^#\/bots\/([a-z0-9][a-z0-9_-]{0,62})(?:\/([a-z]+)(?:\/([^/]+))?)?$/;

export function parseRoute(hash: string): Route {
  if (hash === "#/tasks") return { page: "tasks" };
  if (hash === "#/approvals") return { page: "approvals" };
  if (hash === "#/notifications") return { page: "notifications" };
  if (hash === "#/repairs") return { page: "repairs" };
  if (hash === "#/access") return { page: "access" };
  if (hash === "#/readiness") return { page: "readiness" };
  const match = BOT.exec(hash);
  if (!match) return { page: "fleet" };
  const tab = (match[2] ?? "overview") as BotTab;
  if (!BOT_TABS.includes(tab)) return { page: "fleet" };
  let session: string | null = null;
  if (match[3] !== undefined) {
    if (tab !== "sessions") return { page: "fleet" };
    try {
      session = decodeURIComponent(match[3]);
    } catch {
      return { page: "fleet" };
    }
  }
  return { page: "bot", name: match[1]!, tab, session };
}

export function botHref(name: string, tab: BotTab = "overview"): string {
  return tab === "overview" ? `#/bots/${name}` : `#/bots/${name}/${tab}`;
}

export function sessionHref(name: string, sessionId: string): string {
  return `#/bots/${name}/sessions/${encodeURIComponent(sessionId)}`;
}

/** The current route, following the back and forward buttons. */
export function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return parseRoute(hash);
}
