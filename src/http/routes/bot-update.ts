import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { actorName, roleAtLeast } from "../../core/access.js";
import { type BotUpdate, botUpdateSchema } from "../../core/bot.js";
import { OpsError } from "../../core/errors.js";
import type { DaemonContext } from "../../daemon/context.js";
import { changeBot } from "../../fleet/update.js";
import { apiPathPolicy, checkApiBotPaths } from "../bot-paths.js";
import { actorOf } from "../client.js";
import { concealingOthers, scopeOf, scopedBot } from "../org-scope.js";
import { botSchema, gatewaySchema } from "../records/fleet.js";
import { type Api, botParams, withErrors } from "../schema.js";

/** What an operator may change; every other field is configuration, an admin's. */
const OPERATOR_FIELDS: ReadonlySet<string> = new Set<keyof BotUpdate>(["desiredState"]);

/** `PATCH /api/v1/bots/:name`: a registered bot's port, config, labels, owner or desired state. */
export function botUpdateRoutes(app: Api, ctx: DaemonContext) {
  app.patch(
    "/api/v1/bots/:name",
    {
      // The desired state is an operator's (as start and stop are); the rest needs an admin.
      config: { access: "operator", onOwnerHost: true },
      schema: {
        tags: ["fleet"],
        summary: "Change a bot: port, config path, labels, owner, desired state",
        description:
          "Unknown fields are refused (400). `desiredState` needs the operator role, every other field the admin role. A config path is checked as at registration (inside `http.allowedRoots`; not for the local CLI's credential, as `clawops bot add` is not). A live gateway whose port or config path changed is restarted (drained; when the doctor's gate refuses the new config, the change is undone and the running gateway kept: 409 `RESTART_REFUSED`); a new desired state starts or stops it. `gatewayAction` says what was done.",
        params: botParams,
        body: botUpdateSchema,
        response: withErrors(
          {
            200: z.object({
              bot: botSchema,
              changed: z.array(z.string()),
              gateway: gatewaySchema.nullable(),
              gatewayAction: z.enum(["restarted", "started", "stopped"]).nullable(),
            }),
          },
          403,
          409,
        ),
      },
      // As at registration: what the daemon will read is checked before the body's shape.
      preValidation: async (request) => {
        // Another organisation's bot is not found, whatever the body.
        const bot = await scopedBot(ctx, request, request.params.name);
        mayChange(request, request.body);
        // The local CLI's credential is the host's owner: held to no root, as `bot add` is not.
        // Another host's bot: its paths are on that host's disk, which its daemon checks.
        if (scopeOf(request) === undefined || ctx.hosts.ownedElsewhere(bot)) return;
        const others = (await ctx.store.listBots())
          .filter((other) => other.id !== bot.id)
          .map((other) => other.stateDir);
        request.body = checkApiBotPaths(
          request.body ?? {},
          apiPathPolicy(ctx.config, others),
        ) as typeof request.body;
      },
    },
    async (request) =>
      concealingOthers(ctx, request, () =>
        changeBot(
          ctx.registry,
          ctx.supervisor,
          request.params.name,
          request.body,
          actorOf(request),
          {
            org: scopeOf(request),
          },
        ),
      ),
  );
}

/** 403 naming the fields an operator sent that need an admin (checked before the body's shape). */
function mayChange(request: FastifyRequest, body: unknown): void {
  const principal = request.principal!;
  if (roleAtLeast(principal.role, "admin") || !body || typeof body !== "object") return;
  const refused = Object.keys(body).filter((field) => !OPERATOR_FIELDS.has(field));
  if (refused.length === 0) return;
  throw new OpsError(
    "FORBIDDEN",
    `${actorName(principal)} is ${principal.role}: changing ${refused.join(", ")} needs admin (an operator may change desiredState)`,
    { details: { role: principal.role, needed: "admin", fields: refused } },
  );
}
