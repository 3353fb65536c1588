import type { FastifyRequest } from "fastify";
import { actorName } from "../core/access.js";
import { ON_BEHALF_HEADER } from "../hosts/fleet-hosts.js";

export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);
const CLIENT = /^[a-z][a-z0-9-]{0,31}$/;

/** Whom a relaying daemon names (`ON_BEHALF_HEADER`): `kind:name`. */
const ON_BEHALF = /^[a-z]+:[A-Za-z0-9_.@:-]{1,64}$/;

/** The caller's `x-clawops-client` (`cli`, `script`, ...) when well formed; null otherwise. */
export function clientOf(request: FastifyRequest): string | null {
  const value = request.headers["x-clawops-client"];
  return typeof value === "string" && CLIENT.test(value) ? value : null;
}

/**
 * Who acts, as events and repair records name it: the principal (`cli` for
 * the local CLI's credential, `user:alice`, `token:ci`; `api` on a public
 * route), then `#` and the request id (`cli#7f3a…`). The actor is what the
 * route hands down to the registry, the supervisor and the repair pipeline,
 * so every event and repair a request causes carries the id its log lines
 * have as `reqId`. `#` is not in a request id's alphabet (server.ts).
 */
export function actorOf(request: FastifyRequest): string {
  return `${callerOf(request) ?? "api"}#${request.id}`;
}

/**
 * Who calls, as the audit trail and the events name it: the principal, or
 * whom a relaying daemon acts for (`ON_BEHALF_HEADER`); null on a public route.
 */
export function callerOf(request: FastifyRequest): string | null {
  const { principal } = request;
  if (!principal) return null;
  const behalf = request.headers[ON_BEHALF_HEADER];
  if (principal.kind === "local" && typeof behalf === "string" && ON_BEHALF.test(behalf))
    return behalf;
  return actorName(principal);
}
