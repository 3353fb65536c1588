import type { ClawopsConfig } from "../config/schema.js";
import type { BotStatusLine, OpsControl } from "../core/notification.js";
import { formatDurationMs } from "../core/duration.js";
import { requireBot } from "../fleet/registry.js";
import { pauseOf } from "../repair/ledger.js";
import type { RepairService } from "../repair/service.js";
import type { Store } from "../store/store.js";
import type { Supervisor } from "../supervisor/supervisor.js";

/** What chat operators may do, on the daemon's parts. */
export function createOpsControl(deps: {
  config: ClawopsConfig;
  store: Store;
  supervisor: Supervisor;
  repair: RepairService;
}): OpsControl {
  const { store, supervisor, repair, config } = deps;
  return {
    async status(bot) {
      const bots = bot ? [await requireBot(store, bot)] : await store.listBots();
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
    repair: (bot, actor) => repair.repair(bot, { actor }),
    logs: (bot, lines) => repair.logs(bot, lines),
    history: (bot, limit = 10) => repair.ledger.list({ ...(bot ? { bot } : {}), limit }),
    stats: (bot) => repair.ledger.stats(bot),
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
    pause: (bot, actor, reason) => repair.ledger.pause(bot, actor, reason),
    resume: (bot, actor) => repair.ledger.resume(bot, actor),
  };
}
