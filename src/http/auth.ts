import { timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { AccessService, Authenticated, Presented } from "../access/service.js";
import { type Access, type Principal, actorName, roleAtLeast } from "../core/access.js";
import { OpsError } from "../core/errors.js";
import { SAFE_METHODS } from "./client.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Who may call the route (auth.ts `accessOf` says the default). */
    access?: Access;
  }
  interface FastifyRequest {
    /** Who made the request; null on public routes. */
    principal: Principal | null;
    /** The credential it presented, when authenticated (the realtime API watches it). */
    authenticated: Authenticated | null;
  }
}

/** The dashboard's login cookie. */
export const LOGIN_COOKIE = "clawops_login";
/** The header a cookie-authenticated write echoes its login's CSRF token in. */
export const CSRF_HEADER = "x-csrf-token";

/**
 * What a route needs: what it declares (`config.access`), else by method
 * under `/api/v1/` (reading is `viewer`, changing is `operator`); routes
 * outside it (probes, the API reference) are public.
 */
export function accessOf(route: {
  url?: string;
  method: string | string[];
  config?: { access?: Access };
}): Access {
  if (route.config?.access) return route.config.access;
  if (!route.url?.startsWith("/api/v1/")) return "public";
  const methods = [route.method].flat();
  return methods.every((m) => SAFE_METHODS.has(m)) ? "viewer" : "operator";
}

/** The request's credentials: a bearer token, else the login cookie. */
export function presented(request: FastifyRequest): Presented {
  const header = request.headers.authorization;
  if (typeof header === "string" && header !== "") {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match)
      throw new OpsError("UNAUTHORIZED", 'the Authorization header must be "Bearer <token>"');
    return { bearer: match[1]! };
  }
  const cookie = cookieValue(request.headers.cookie, LOGIN_COOKIE);
  return cookie === undefined ? {} : { cookie };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The onRequest check of every routed request: public routes pass; others
 * need credentials (401), a role at least the route's (403), and for a
 * cookie-authenticated write the login's CSRF token in `x-csrf-token` (403).
 */
export function createAuthCheck(access: AccessService) {
  return async (request: FastifyRequest): Promise<void> => {
    request.principal = null;
    request.authenticated = null;
    const needed = accessOf({
      url: request.routeOptions.url,
      method: request.method,
      config: request.routeOptions.config,
    });
    // An unmatched request answers 404 whoever asks: it names nothing that exists.
    if (needed === "public" || request.routeOptions.url === undefined) return;
    const found = await access.authenticate(presented(request));
    if (!found) {
      throw new OpsError(
        "UNAUTHORIZED",
        'no credentials: send "Authorization: Bearer <token>" (clawops token create) or log in; the CLI on the daemon\'s host sends its local credential (docs/access.md)',
      );
    }
    const { principal, csrfToken } = found;
    // Set before the checks below, so that the audit trail names who was refused.
    request.principal = principal;
    request.authenticated = found;
    if (!roleAtLeast(principal.role, needed)) {
      throw new OpsError(
        "FORBIDDEN",
        `${actorName(principal)} is ${principal.role}: ${request.method} ${request.routeOptions.url} needs ${needed}`,
        { details: { role: principal.role, needed } },
      );
    }
    if (csrfToken !== undefined && !SAFE_METHODS.has(request.method)) {
      const echoed = request.headers[CSRF_HEADER];
      if (typeof echoed !== "string" || !sameText(echoed, csrfToken))
        throw new OpsError(
          "FORBIDDEN",
          `a write with the login cookie needs the login's CSRF token in ${CSRF_HEADER}`,
        );
    }
  };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
