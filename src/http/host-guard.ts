import { isIP } from "node:net";
import { hostname, networkInterfaces } from "node:os";
import type { FastifyRequest } from "fastify";
import { OpsError } from "../core/errors.js";
import { SAFE_METHODS } from "./client.js";

export interface HostSettings {
  /** The address the server is bound to (`http.host`). */
  host: string;
  /** Extra names the daemon answers to (`http.allowedHosts`): exact, or `*.example.com`. */
  allowedHosts: readonly string[];
}

const WILDCARD_BINDS: ReadonlySet<string> = new Set(["0.0.0.0", "::", "[::]", ""]);

/**
 * Guards against DNS rebinding: a web page whose name an attacker re-points at
 * 127.0.0.1 reaches the daemon with its own name in `Host`, so a request is
 * answered only when `Host` names this daemon: localhost, a loopback address,
 * the bound address (any local address when bound to all of them, and the
 * machine's host name), or a name listed in `http.allowedHosts`. A
 * state-changing call that carries `Origin` must come from the same origin as
 * its `Host`. Throws HOST_NOT_ALLOWED (421), or FORBIDDEN for the origin.
 */
export function createHostGuard(settings: HostSettings): (request: FastifyRequest) => void {
  const bound = normalizeName(settings.host);
  const wildcard = WILDCARD_BINDS.has(settings.host.trim());
  const exact = new Set(
    settings.allowedHosts.filter((h) => !h.startsWith("*.")).map(normalizeName),
  );
  const suffixes = settings.allowedHosts
    .filter((h) => h.startsWith("*."))
    .map((h) => normalizeName(h.slice(1)));
  const allowed = (name: string) =>
    name === "localhost" ||
    name === bound ||
    exact.has(name) ||
    suffixes.some((suffix) => name.endsWith(suffix)) ||
    isLoopbackAddress(name) ||
    (wildcard && (isLocalAddress(name) || name === normalizeName(hostname())));

  return (request) => {
    const host = request.headers.host;
    // HTTP/1.1 requires Host (Node enforces it unless told not to; clawops answers it here
    // so the answer has the documented envelope).
    if (!host) throw new OpsError("BAD_REQUEST", "the request has no Host header");
    const name = hostName(host);
    if (name === null || !allowed(name)) {
      throw new OpsError(
        "HOST_NOT_ALLOWED",
        `Host "${host.slice(0, 255)}" is not a name of this daemon; add it to http.allowedHosts in clawops.yaml if it is one of yours`,
        { details: { host: host.slice(0, 255) } },
      );
    }
    const origin = request.headers.origin;
    if (origin === undefined || SAFE_METHODS.has(request.method)) return;
    if (!sameOrigin(origin, host)) {
      throw new OpsError(
        "FORBIDDEN",
        `${request.method} from origin "${origin.slice(0, 255)}" refused: only pages served by this daemon (${host.slice(0, 255)}) may change state`,
        { details: { origin: origin.slice(0, 255) } },
      );
    }
  };
}

/** The host name of a `Host` header value (`name:port`, `[v6]:port`), lower-case; null when malformed. */
function hostName(header: string): string | null {
  try {
    const url = new URL(`http://${header}`);
    // A Host with a path, credentials or a query is not a Host.
    if (url.pathname !== "/" || url.username || url.search || url.hash) return null;
    return normalizeName(url.hostname);
  } catch {
    return null;
  }
}

function normalizeName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
}

/** `Origin` and `Host` name the same host and port (the scheme's default port when none is given). */
export function sameOrigin(origin: string, host: string): boolean {
  try {
    const from = new URL(origin);
    if (from.protocol !== "http:" && from.protocol !== "https:") return false;
    const to = new URL(`${from.protocol}//${host}`);
    return from.host === to.host;
  } catch {
    return false; // "null" (sandboxed pages, file://) and anything unparsable.
  }
}

/** True when `host` (an address or `localhost`) can be reached from this machine only. */
export function isLoopbackBind(host: string): boolean {
  const name = normalizeName(host);
  return name === "localhost" || isLoopbackAddress(name);
}

function isLoopbackAddress(name: string): boolean {
  if (isIP(name) === 4) return name.startsWith("127.");
  return name === "::1";
}

function isLocalAddress(name: string): boolean {
  if (isIP(name) === 0) return false;
  return Object.values(networkInterfaces()).some((addresses) =>
    (addresses ?? []).some((a) => normalizeName(a.address) === name),
  );
}
