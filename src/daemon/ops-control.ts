import type { ApprovalService } from "../approvals/service.js";
import type { ClawopsConfig } from "../config/schema.js";
import { DEFAULT_ORG } from "../core/access.js";
import { formatDurationMs } from "../core/duration.js";
import type { Bot } from "../core/bot.js";
import { opsErrorOf } from "../core/error-envelope.js";
import { OpsError } from "../core/errors.js";
import type { BotStatusLine, OpsControl } from "../core/notification.js";
import type { RepairRecord } from "../core/repair.js";
import { type FleetHosts, ON_BEHALF_HEADER } from "../hosts/fleet-hosts.js";
import { requireBot } from "../fleet/registry.js";
import { pauseOf } from "../repair/ledger.js";
import type { RepairService } from "../repair/service.js";
import type { Store } from "../store/store.js";
import type { Supervisor } from "../supervisor/supervisor.js";

/**
 * What chat operators may do, on the daemon's parts. With `org` (a notifier's
 * `org`, docs/access.md "Organisations"), only on that organisation's bots:
 * another's answer "no bot named" as if it did not exist, and a pause of
 * every bot is refused unless the organisation is the default one, whose
 * operators are the install's own.
 *
 * What happens on a bot's own host (a repair, its log, an exec decision) is,
 * for another host's bot, asked of that host's daemon over its API with this
 * daemon's local credential, naming the chat as who acts (docs/hosts.md).
 */
export function createOpsControl(
  deps: {
    config: ClawopsConfig;
    store: Store;
    supervisor: Supervisor;
    repair: RepairService;
    approvals: Pick<ApprovalService, "decide">;
    hosts: Pick<FleetHosts, "ownedElsewhere" | "lostIn" | "list" | "forward">;
    /** This daemon's local credential (it mints one at each start). */
    credential(): string | null;
  },
  org?: string,
): OpsControl {
  const { store, supervisor, repair, config, hosts } = deps;
  /** The bot when the chat may act on it; throws NOT_FOUND otherwise. */
  const visible = (bot: string) => requireBot(store, bot, org);
  /** The answer of the daemon that runs `bot` to a call made for `actor`; its error thrown. */
  const onOwner = async <T>(
    bot: Bot,
    actor: string,
    call: { method: "GET" | "POST"; path: string; body?: unknown },
  ): Promise<T> => {
    const credential = deps.credential();
    if (credential === null)
      throw new OpsError("UNAVAILABLE", "this daemon has no local credential to ask another host");
    const relayed = await hosts.forward(
      bot,
      `/api/v1/bots/${encodeURIComponent(bot.id)}${call.path}`,
      {
        method: call.method,
        headers: {
          authorization: `Bearer ${credential}`,
          "x-clawops-client": "chat",
          [ON_BEHALF_HEADER]: actor,
        },
        body: call.body,
      },
    );
    if (relayed.status < 400) return relayed.body as T;
    throw (
      opsErrorOf(relayed.body) ??
      new OpsError("UNAVAILABLE", `host "${bot.host}" answered ${relayed.status}`)
    );
  };
  const fleetWide = (what: string) => {
    if (org === undefined || org === DEFAULT_ORG) return;
    throw new OpsError(
      "FORBIDDEN",
      `${what} acts on every organisation's bots: this chat serves organisation "${org}" only; name a bot`,
    );
  };
  return {
    async status(bot) {
      const bots = bot
        ? [await requireBot(store, bot, org)]
        : await store.listBots(org === undefined ? {} : { org });
      const [instances, pauses, hostsNow] = await Promise.all([
        supervisor.instances(),
        store.listPauses(),
        hosts.list(),
      ]);
      return bots.map((b): BotStatusLine => {
        const instance = instances.find((i) => i.botId === b.id);
        const paused = pauseOf(pauses, b.id) !== null;
        // As `clawops status` says it: a silent host's gateway's last state is not news.
        if (hosts.lostIn(hostsNow, b))
          return {
            name: b.name,
            state: "host unreachable",
            reason: `host "${b.host}" stopped reporting; its gateway may still run there`,
            port: b.port,
            pid: null,
            restarts: instance?.restarts ?? 0,
            since: hostsNow.find((h) => h.id === b.host)?.lastSeenAt ?? b.createdAt,
            paused,
          };
        return {
          name: b.name,
          state: instance?.state ?? "stopped",
          reason: instance?.reason ?? "never started",
          port: b.port,
          pid: instance?.pid ?? null,
          restarts: instance?.restarts ?? 0,
          since: instance?.stateSince ?? b.createdAt,
          paused,
        };
      });
    },
    async repair(name, actor) {
      const bot = await visible(name);
      if (!hosts.ownedElsewhere(bot)) return repair.repair(bot.name, { actor });
      return (
        await onOwner<{ repair: RepairRecord }>(bot, actor, { method: "POST", path: "/repair" })
      ).repair;
    },
    async logs(name, lines) {
      const bot = await visible(name);
      if (!hosts.ownedElsewhere(bot)) return repair.logs(bot.name, lines);
      const page = await onOwner<{ lines: string[] }>(bot, "chat", {
        method: "GET",
        path: "/logs",
      });
      return page.lines.slice(-lines);
    },
    // The ledger checks the bot against the organisation itself.
    history: (bot, limit = 10) =>
      repair.ledger.list({ ...(bot ? { bot } : {}), ...(org === undefined ? {} : { org }), limit }),
    stats: (bot) => repair.ledger.stats(bot, org),
    async config() {
      const r = config.repair;
      return [
        `automatic repair: ${r.enabled ? "on" : "off"}${r.dryRun ? " (dry run)" : ""}`,
        `budget: ${r.budget.maxPerHour} per bot per hour, then ${formatDurationMs(r.budget.cooldown)} cooldown`,
        `allowlist: ${r.allowlist.join(", ")}`,
        `kill foreign listeners: ${r.killForeignListeners ? "yes" : "no"}`,
        `AI planner: ${r.ai.enabled ? `${r.ai.model} at ${new URL(r.ai.url!).host}` : "off"}`,
        `notifiers: ${config.notify.notifiers.map((n) => n.type).join(", ") || "none"}`,
      ];
    },
    async pause(bot, actor, reason) {
      if (bot === null) fleetWide("pausing repairs everywhere");
      return repair.ledger.pause(bot === null ? null : (await visible(bot)).name, actor, reason);
    },
    async decideApproval(name, id, decision, actor) {
      const bot = await visible(name);
      if (!hosts.ownedElsewhere(bot)) return deps.approvals.decide(bot, id, decision, actor);
      const { approval } = await onOwner<{
        approval: { bot: string; id: string; command: string };
      }>(bot, actor, {
        method: "POST",
        path: `/approvals/${encodeURIComponent(id)}`,
        body: { decision },
      });
      return { bot: approval.bot, id: approval.id, command: approval.command };
    },
    async resume(bot, actor) {
      if (bot === null) fleetWide("resuming repairs everywhere");
      return repair.ledger.resume(bot === null ? null : (await visible(bot)).name, actor);
    },
  };
}
