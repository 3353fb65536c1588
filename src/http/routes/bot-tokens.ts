import { z } from "zod";
import { OpsError, isOpsError } from "../../core/errors.js";
import type { DaemonContext } from "../../daemon/context.js";
import { gatewayEnv } from "../../gateway/environment.js";
import { rotateGatewayToken } from "../../vault/gateway-token.js";
import { Vault } from "../../vault/vault.js";
import { actorOf } from "../client.js";
import { scopedBot } from "../org-scope.js";
import { botSchema, gatewaySchema } from "../records/fleet.js";
import { type Api, botParams, withErrors } from "../schema.js";

/** `POST /api/v1/bots/:name/rotate-token`'s answer: the token masked, never whole. */
const tokenRotationSchema = z.object({
  bot: botSchema,
  record: z.string().describe("the vault record that keeps the new token"),
  token: z.string().describe("the new token, masked: `…` and its last 4 characters"),
  written: z.object({
    kind: z.enum(["config", "file"]),
    file: z.string().describe("where the gateway reads it"),
  }),
  backup: z.string().nullable().describe("the config's copy from before, when it was edited"),
  restarted: z.boolean().describe("the running gateway was restarted (drain-safe) to take it"),
  gateway: gatewaySchema.nullable(),
});

/** Gateway token rotation: an admin's, because it changes what every client of the gateway must send. */
export function botTokenRoutes(app: Api, ctx: DaemonContext) {
  app.post(
    "/api/v1/bots/:name/rotate-token",
    {
      config: { access: "admin", onOwnerHost: true },
      schema: {
        tags: ["fleet"],
        summary: "Issue a new gateway token for a bot",
        description:
          "A new 256-bit token, kept in the vault (`gateway-token/<bot>`, with the daemon's vault keys), written where the gateway reads it (the config after a backup, or the file its SecretRef names), then a drain-safe restart when the gateway runs. The answer shows the token masked (docs/vault.md).",
        params: botParams,
        response: withErrors({ 200: tokenRotationSchema }, 403, 409),
      },
    },
    async (request) => {
      // Opened per call: the keys are read from the daemon's environment and files as they are now.
      // Another organisation's bot answers 404, as for no bot at all.
      const { id } = await scopedBot(ctx, request, request.params.name);
      const vault = Vault.open(ctx.store.vault, ctx.config.vault);
      // The rotation carries the token masked only: nothing else of it leaves the daemon.
      return rotateGatewayToken(
        {
          store: ctx.store,
          bus: ctx.bus,
          vault,
          supervisor: ctx.supervisor,
          envFor: (bot) => gatewayEnv(ctx.config.supervisor.env, bot),
        },
        id,
        actorOf(request),
      ).catch((error: unknown) => {
        // The caller's shell has its own keys: say whose are missing.
        if (isOpsError(error) && error.code.startsWith("VAULT_KEY_"))
          throw new OpsError(error.code, `the daemon's vault: ${error.message}`, {
            details: error.details,
          });
        throw error;
      });
    },
  );
}
