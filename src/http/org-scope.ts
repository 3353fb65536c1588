import type { FastifyRequest } from "fastify";
import { DEFAULT_ORG, actorName, orgScope } from "../core/access.js";
import type { Bot } from "../core/bot.js";
import { OpsError, isOpsError } from "../core/errors.js";
import type { DaemonContext } from "../daemon/context.js";
import { requireBot } from "../fleet/registry.js";

/**
 * Whose bots the request's principal sees (docs/access.md, "Organisations"):
 * its organisation's; undefined for the local CLI's credential, the host's
 * owner, who sees every organisation's.
 */
export function scopeOf(request: FastifyRequest): string | undefined {
  // Every bot route needs credentials: a request without a principal here is a wiring mistake.
  if (!request.principal) throw new OpsError("UNAUTHORIZED", "no credentials");
  return orgScope(request.principal);
}

/** The bot the request names, when its principal may see it; otherwise 404 as for no bot at all. */
export function scopedBot(ctx: DaemonContext, request: FastifyRequest, name: string): Promise<Bot> {
  return requireBot(ctx.store, name, scopeOf(request));
}

/**
 * Whether the principal sees what concerns the whole daemon rather than one
 * bot (daemon-wide events, owner budgets, the fleet-wide repair pause): the
 * default organisation's principals (the install's own operators) and the
 * local CLI do; other organisations' do not.
 */
export function seesDaemonWide(request: FastifyRequest): boolean {
  const scope = scopeOf(request);
  return scope === undefined || scope === DEFAULT_ORG;
}

/** Refuses (403) an act on the whole daemon by another organisation's principal. */
export function requireDaemonWide(request: FastifyRequest, what: string): void {
  if (seesDaemonWide(request)) return;
  const principal = request.principal!;
  throw new OpsError(
    "FORBIDDEN",
    `${what} acts on every organisation's bots: only the "${DEFAULT_ORG}" organisation's principals may (${actorName(principal)} is of "${principal.org}")`,
    { details: { org: principal.org } },
  );
}

/**
 * The organisation a bot is registered into: the caller's own; another one
 * only with the local CLI's credential (403 otherwise).
 */
export function registrationOrg(request: FastifyRequest, org: string | undefined): string {
  const principal = request.principal!;
  const target = org ?? principal.org;
  if (scopeOf(request) !== undefined && target !== principal.org)
    throw new OpsError(
      "FORBIDDEN",
      `${actorName(principal)} cannot register a bot into organisation "${target}": a bot goes into the caller's own organisation; only the local CLI (clawops bot add --org) names another`,
      { details: { field: "org", org: target } },
    );
  return target;
}

/**
 * Runs a registry change; a conflict it reports with a bot the principal
 * may not see (a port or config of another organisation's bot) no longer
 * names that bot. Names themselves are the host's: a name taken is said so.
 */
export async function concealingOthers<T>(
  ctx: DaemonContext,
  request: FastifyRequest,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const scope = scopeOf(request);
    if (!isOpsError(error) || scope === undefined) throw error;
    const other = error.details.bot;
    if (typeof other !== "string" || error.details.field === "name") throw error;
    const bot = await ctx.store.findBot(other);
    if (!bot || bot.org === scope) throw error;
    const { bot: _hidden, ...details } = error.details;
    throw new OpsError(
      error.code,
      error.message.replaceAll(`bot "${other}"`, "a bot of another organisation"),
      { issues: error.issues, details },
    );
  }
}
