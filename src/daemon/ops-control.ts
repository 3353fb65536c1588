import type { ApprovalService } from "../approvals/service.js";
import type { ClawopsConfig } from "../config/schema.js";
import { DEFAULT_ORG } from "../core/access.js";
import { formatDurationMs } from "../core/duration.js";
import { OpsError } from "../core/errors.js";
import type { BotStatusLine, OpsControl } from "../core/notification.js";
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
 */
export function createOpsControl(
  deps: {
    config: ClawopsConfig;
    store: Store;
    supervisor: Supervisor;
    repair: RepairService;
    approvals: Pick<ApprovalService, "decide">;
  },
  org?: string,
): OpsControl {
  const { store, supervisor, repair, config } = deps;
  /** The bot's name when the chat may act on it; throws NOT_FOUND otherwise. */
  const visible = async (bot: string) => (await requireBot(store, bot, org)).name;
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
      const [instances, pauses] = await Promise.all([supervisor.instances(), store.listPauses()]);
      return bots.map((b): BotStatusLine => {
        const instance = instances.find((i) => i.botId === b.id);
        return {
          name: b.name,
          state: instance?.state ?? "stopped",
          reason: instance?.reason ?? "never started",
          port: b.port,
          pid: instance?.pid ?? null,
          restarts: instance?.restarts ?? 0,
          since: instance?.stateSince ?? b.createdAt,
          paused: pauseOf(pauses, b.id) !== null,
        };
      });
    },
    repair: async (bot, actor) => repair.repair(await visible(bot), { actor }),
    logs: async (bot, lines) => repair.logs(await visible(bot), lines),
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
      return repair.ledger.pause(bot === null ? null : await visible(bot), actor, reason);
    },
    async decideApproval(bot, id, decision, actor) {
      return deps.approvals.decide(await requireBot(store, bot, org), id, decision, actor);
    },
    async resume(bot, actor) {
      if (bot === null) fleetWide("resuming repairs everywhere");
      return repair.ledger.resume(bot === null ? null : await visible(bot), actor);
    },
  };
}
