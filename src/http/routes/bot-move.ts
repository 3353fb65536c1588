import { existsSync } from "node:fs";
import { z } from "zod";
import { HOST_ID } from "../../config/schema.js";
import type { Bot } from "../../core/bot.js";
import { OpsError } from "../../core/errors.js";
import type { DaemonContext } from "../../daemon/context.js";
import type { HostCall } from "../../hosts/fleet-hosts.js";
import { actorOf } from "../client.js";
import { scopedBot } from "../org-scope.js";
import { botSchema, gatewaySchema } from "../records/fleet.js";
import { type Api, botParams, withErrors } from "../schema.js";

const moveBody = z.strictObject({
  to: z.string().regex(HOST_ID, { error: "expected a host id (`clawops status` lists them)" }),
  force: z
    .boolean()
    .default(false)
    .describe(
      "move it although its host is unreachable (its gateway cannot be stopped there): only when that host is gone for good",
    ),
});

const moveAnswer = z.object({
  bot: botSchema,
  from: z.string().nullable().describe("the host that ran it"),
  to: z.string().describe("the host that runs it now"),
  forced: z.boolean(),
  gateway: gatewaySchema
    .nullable()
    .describe("its gateway on the new host, started when it was running; null when it was not"),
  moved: z.boolean().describe("false when it was already that host's"),
});

/**
 * `POST /api/v1/bots/:name/move` (`clawops bot move NAME --to HOST`): the
 * new host's daemon does it, since the bot's files must be on its disk. It
 * stops the gateway on the old host (asked of that daemon), takes the bot in
 * the store (only if no one moved it meanwhile), and starts it when it was
 * running. docs/hosts.md "Moving a bot".
 */
export function botMoveRoutes(app: Api, ctx: DaemonContext) {
  app.post(
    "/api/v1/bots/:name/move",
    {
      // Where a gateway runs is configuration: an admin's.
      config: { access: "admin", onHost: (request) => (request.body as { to: string }).to },
      schema: {
        tags: ["fleet"],
        summary: "Give a bot to another host",
        description:
          "Done by the new host's daemon (the call is forwarded there): its config and state dir must already be on that host's disk. The gateway is stopped on the old host first; a bot whose host is unreachable moves only with `force` (its gateway may still run there). Started on the new host when it was running. 409 when the files are missing there.",
        params: botParams,
        body: moveBody,
        response: withErrors({ 200: moveAnswer }, 403, 409),
      },
    },
    async (request) => {
      const { to, force } = request.body;
      const bot = await scopedBot(ctx, request, request.params.name);
      const from = bot.host ?? null;
      if (from === to) {
        const gateway = await ctx.store.getInstance(bot.id);
        return { bot, from, to, forced: false, gateway, moved: false };
      }
      requireFilesHere(bot, to);
      const wasRunning = bot.desiredState === "running";
      const actor = actorOf(request);
      const forced = await stopOnOldHost(ctx, bot, request, force);
      if (!(await ctx.store.hosts.moveBot(bot.id, from, to)))
        throw new OpsError(
          "CONFLICT",
          `bot "${bot.name}" changed host while it was being moved: nothing was taken`,
        );
      // Its last process was another host's: never a pid to adopt here.
      const last = await ctx.store.getInstance(bot.id);
      const at = new Date().toISOString();
      if (last)
        await ctx.store.saveInstance({
          ...last,
          state: "stopped",
          reason: `moved from host "${from}"`,
          pid: null,
          pidStartTime: null,
          startedAt: null,
          ready: null,
          stateSince: at,
          updatedAt: at,
        });
      await ctx.bus.publishAndWait({
        type: "bot.moved",
        botId: bot.id,
        actor,
        data: { name: bot.name, from, to, forced },
      });
      const gateway = wasRunning ? await ctx.supervisor.start(bot.id, actor) : null;
      return { bot: await scopedBot(ctx, request, bot.id), from, to, forced, gateway, moved: true };
    },
  );
}

/** The gateway's config and state dir must be on this host's disk: they are files, not rows. */
function requireFilesHere(bot: Bot, host: string): void {
  for (const [what, file] of [
    ["config", bot.configPath],
    ["state dir", bot.stateDir],
  ] as const) {
    if (!existsSync(file))
      throw new OpsError(
        "CONFLICT",
        `bot "${bot.name}"'s ${what} ${file} is not on host "${host}": copy it there first (clawops backup, then restore the bot's files), then move`,
        { details: { field: what === "config" ? "configPath" : "stateDir", path: file } },
      );
  }
}

/**
 * Stops the bot's gateway on its old host, asked of that host's daemon with
 * the caller's credentials; true when that host is unreachable and `force`
 * says to move it anyway.
 */
async function stopOnOldHost(
  ctx: DaemonContext,
  bot: Bot,
  request: HostCall,
  force: boolean,
): Promise<boolean> {
  if (bot.host === null || bot.host === undefined) return false;
  if (ctx.hosts.lostIn(await ctx.hosts.list(), bot)) {
    if (force) return true;
    throw new OpsError(
      "CONFLICT",
      `host "${bot.host}" that runs bot "${bot.name}" is unreachable: its gateway may still run there, and moving it would run two. Move it with force only if that host is gone for good`,
      { details: { host: bot.host } },
    );
  }
  const stopped = await ctx.hosts.ask(
    bot.host,
    `/api/v1/bots/${encodeURIComponent(bot.id)}/stop`,
    { method: "POST", headers: request.headers, body: null },
    `host "${bot.host}" that runs bot "${bot.name}"`,
  );
  if (stopped.status >= 400)
    throw new OpsError(
      "CONFLICT",
      `host "${bot.host}" could not stop bot "${bot.name}"'s gateway (HTTP ${stopped.status}): nothing was moved`,
      { details: { host: bot.host, answer: stopped.body } },
    );
  return false;
}
