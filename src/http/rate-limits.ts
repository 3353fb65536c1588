import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import type { ClawopsConfig } from "../config/schema.js";
import { OpsError } from "../core/errors.js";
import { SAFE_METHODS } from "./client.js";

export type LimitsConfig = ClawopsConfig["access"]["limits"];

/**
 * Registers @fastify/rate-limit without a global limit: clawops's limits
 * are checked by name (rate-limits.ts `createLimits`), on Redis when the
 * daemon has one (several instances then share them), in-process otherwise.
 */
export function registerRateLimit(app: FastifyInstance, redis: Redis | null): void {
  void app.register(rateLimit, {
    global: false,
    ...(redis ? { redis, nameSpace: "clawops-limit-" } : {}),
    // A Redis that does not answer must not take the API down with it: the limit is skipped.
    skipOnError: true,
  });
}

/** The limits of the API, built in the scope the routes are declared in (after registerRateLimit). */
export function createLimits(scope: FastifyInstance, config: LimitsConfig) {
  const principalWrites = scope.createRateLimit({
    max: config.writes.max,
    timeWindow: config.writes.window,
    keyGenerator: (r) => `writes:${r.principal!.kind}:${r.principal!.id}`,
  });
  const orgWrites = scope.createRateLimit({
    max: config.orgWrites.max,
    timeWindow: config.orgWrites.window,
    keyGenerator: (r) => `org-writes:${r.principal!.org}`,
  });
  const loginFailures = scope.createRateLimit({
    max: config.loginFailures.max,
    timeWindow: config.loginFailures.window,
    keyGenerator: (r) => `login:${(r.body as { name?: string } | undefined)?.name ?? ""}`,
  });

  return {
    /**
     * The onRequest check of a write (after authentication): its principal's
     * limit, then its organisation's. The local CLI is not limited: it is the
     * host's owner, and a repair script looping on it is the operator's call.
     */
    async checkWrite(request: FastifyRequest): Promise<void> {
      const principal = request.principal;
      if (!principal || principal.kind === "local" || SAFE_METHODS.has(request.method)) return;
      refuseWhenExceeded(await principalWrites(request), `${principal.kind}:${principal.name}`);
      refuseWhenExceeded(await orgWrites(request), `organisation "${principal.org}"`);
    },

    /** Throws RATE_LIMITED while the login's name has no failure left (counts nothing). */
    async checkLogin(request: FastifyRequest): Promise<void> {
      const name = (request.body as { name: string }).name;
      const status = await loginFailures(request, { increment: false });
      if (!status.isAllowed && status.remaining === 0)
        throw limited(`too many failed logins for "${name}"`, status.ttl);
    },

    /** Counts a failed login of the request's name. */
    async loginFailed(request: FastifyRequest): Promise<void> {
      await loginFailures(request);
    },
  };
}

type Status = Awaited<ReturnType<ReturnType<FastifyInstance["createRateLimit"]>>>;

function refuseWhenExceeded(status: Status, who: string): void {
  if (!status.isAllowed && status.isExceeded)
    throw limited(
      `${who} made more than ${status.max} changes within ${status.timeWindow / 1000} s`,
      status.ttl,
    );
}

function limited(what: string, retryAfterMs: number): OpsError {
  return new OpsError(
    "RATE_LIMITED",
    `${what}: try again in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`,
    { retryable: true, details: { retryAfterMs } },
  );
}
