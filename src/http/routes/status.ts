import type { DaemonContext } from "../../daemon/context.js";
import { scopeOf } from "../org-scope.js";
import { statusSchema } from "../records/fleet.js";
import { apiBaseUrl } from "../tls.js";
import { type Api, withErrors } from "../schema.js";

/** `GET /api/v1/status`: the daemon and its fleet at a glance (what `clawops status` shows). */
export function statusRoutes(app: Api, ctx: DaemonContext) {
  const schema = {
    tags: ["fleet"],
    summary: "The daemon and its fleet at a glance",
    response: withErrors({ 200: statusSchema }),
  };
  app.get("/api/v1/status", { schema }, async (request) => {
    const [readiness, bots, gateways, hosts] = await Promise.all([
      ctx.readiness(),
      // The principal's organisation's bots; their gateways only, below.
      ctx.store.listBots({ org: scopeOf(request) }),
      ctx.supervisor.instances(),
      ctx.hosts.list(),
    ]);
    const states = new Map(gateways.map((g) => [g.botId, g.state]));
    const names = new Map(bots.map((bot) => [bot.id, bot.name]));
    // How each live gateway's sessions are followed: over the protocol or its JSONL files.
    const followed = new Map(
      ctx.ingest.status().map(({ botId, path, connected }) => [botId, { path, connected }]),
    );
    return {
      daemon: {
        host: ctx.hosts.id,
        leader: ctx.hosts.leader(),
        version: ctx.version,
        pid: process.pid,
        startedAt: new Date(ctx.startedAt).toISOString(),
        uptimeMs: Date.now() - ctx.startedAt,
        dataDir: ctx.config.dataDir,
        store: { dialect: ctx.store.dialect, location: ctx.store.location },
        http: apiBaseUrl(ctx.config.http),
      },
      readiness,
      hosts,
      bots,
      // A host that stopped reporting: its gateways' last states are not news, nor crashes.
      fleet: bots.map((bot) => ({
        bot: bot.name,
        host: bot.host ?? null,
        state: ctx.hosts.lostIn(hosts, bot)
          ? ("host unreachable" as const)
          : (states.get(bot.id) ?? "stopped"),
      })),
      // Each with its bot's name, for scripts (`jq '.gateways[] | select(.bot=="demo")'`);
      // a removed bot's last record is not shown.
      gateways: gateways.flatMap((gateway) => {
        const bot = names.get(gateway.botId);
        const sessions = followed.get(gateway.botId) ?? null;
        const canary = ctx.canary.lastOf(gateway.botId);
        return bot ? [{ bot, ...gateway, sessions, canary }] : [];
      }),
    };
  });
}
