import type { FastifyReply, FastifyRequest } from "fastify";
import { errorMessage } from "../core/errors.js";
import type { Store } from "../store/store.js";
import { SAFE_METHODS, callerOf } from "./client.js";

/**
 * The onResponse hook that writes the audit trail: every state-changing
 * call under `/api/`, answered or refused, with who, what and from where.
 * Never the body (a password, a token's secret): only the name it targets.
 * A failed write is logged; the answer has already gone.
 */
export function createAuditHook(store: Store) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (SAFE_METHODS.has(request.method) || !request.url.startsWith("/api/")) return;
    const principal = request.principal;
    try {
      await store.access.appendAudit({
        at: new Date().toISOString(),
        actor: callerOf(request) ?? "anonymous",
        org: principal?.org ?? null,
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        target: targetOf(request),
        status: reply.statusCode,
        requestId: request.id,
        source: request.ip,
      });
    } catch (error) {
      request.log.error({ err: errorMessage(error) }, "audit.write_failed");
    }
  };
}

/** The bot, user or token a call is about: the path's `:name`/`:id`, else the body's `name`. */
function targetOf(request: FastifyRequest): string | null {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const body = (request.body ?? {}) as Record<string, unknown>;
  const value = params.name ?? params.id ?? body.name;
  return typeof value === "string" ? value.slice(0, 200) : null;
}
