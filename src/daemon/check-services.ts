import { assertNotBudgetPaused } from "../budget/ledger.js";
import { resolveLimits } from "../budget/settings.js";
import type { CheckServices } from "../checks/check.js";
import type { ClawopsConfig } from "../config/schema.js";
import { createRedactor } from "../core/redact.js";
import { gatewayEnv, gatewaySecrets } from "../gateway/environment.js";
import type { Store } from "../store/store.js";

/** What the daemon lends the checks (the canary's budget gate, its spend, the bot's env and redaction). */
export function checkServices(config: ClawopsConfig, store: Store): CheckServices {
  const budgetLimits = resolveLimits(config.budgets);
  return {
    gatewayEnv: (bot) => gatewayEnv(config.supervisor.env, bot),
    // A bot its budget paused takes no chat through clawops, the canary's included.
    admitChat: (bot) => assertNotBudgetPaused(store, budgetLimits, bot, Date.now()),
    sessionCostUsd: async (bot, sessionKey, since) =>
      (await store.sessions.costBy("bot", { botId: bot.id, sessionKey, since }))[0]?.costUsd ?? 0,
    redact: (bot, text) => createRedactor(gatewaySecrets(config.supervisor.env, bot))(text),
  };
}
