import { useEffect, useState } from "react";

/** The page the URL's fragment names: `#/` the fleet, `#/bots/<name>` a bot. */
export type Route = { page: "fleet" } | { page: "bot"; name: string };

export function parseRoute(hash: string): Route {
  const bot = /^#\/bots\/([a-z0-9][a-z0-9_-]{0,62})$/.exec(hash);
  return bot ? { page: "bot", name: bot[1]! } : { page: "fleet" };
}

export function botHref(name: string): string {
  return `#/bots/${name}`;
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
