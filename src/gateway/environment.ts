import type { Bot } from "../core/bot.js";
import { collectBotSecrets, gatewayConfigCopies } from "./bot-secrets.js";
import { openClawEnv } from "./openclaw-cli.js";

/**
 * The gateway's environment: clawops's quiet defaults plus `supervisor.env`,
 * with `{name}` and `{stateDir}` filled in. Nothing else of clawops's own
 * environment reaches a gateway (the doctor checks credentials against this).
 */
export function gatewayEnv(extra: Record<string, string>, bot: Bot): NodeJS.ProcessEnv {
  const filled = Object.fromEntries(
    Object.entries(extra).map(([key, value]) => [
      key,
      value.replaceAll("{name}", bot.name).replaceAll("{stateDir}", bot.stateDir),
    ]),
  );
  return openClawEnv(filled);
}

/**
 * Every secret `bot`'s gateway knows, with the environment clawops gives it
 * (`collectBotSecrets`); `extraFiles`: more copies of its config to read.
 */
export function gatewaySecrets(
  supervisorEnv: Record<string, string>,
  bot: Bot,
  extraFiles: readonly string[] = [],
): string[] {
  return collectBotSecrets({
    configFiles: [...gatewayConfigCopies(bot.configPath), ...extraFiles],
    env: gatewayEnv(supervisorEnv, bot),
    declared: Object.keys(supervisorEnv),
  });
}
