import type { LoadedConfig } from "../config/load.js";
import type { Bot } from "../core/bot.js";
import { OpsError } from "../core/errors.js";
import { gatewayEnv } from "../gateway/environment.js";
import { gatewayTokenFrom, readOpenClawConfig } from "../gateway/openclaw-config.js";

/**
 * Where a CLI command on this host reaches a bot's gateway, and the token it
 * presents there (read from the bot's own config, as the gateway reads it).
 * Throws CONFIG_INVALID when the config sets no token clawops can read.
 */
export function botGatewayAccess(bot: Bot, loaded: LoadedConfig): { url: string; token: string } {
  const token = gatewayTokenFrom(
    readOpenClawConfig(bot.configPath),
    gatewayEnv(loaded.config.supervisor.env, bot),
  );
  if (!token) {
    throw new OpsError(
      "CONFIG_INVALID",
      `${bot.configPath} sets no gateway token clawops can read (gateway.auth.token)`,
    );
  }
  return { url: `ws://127.0.0.1:${bot.port}/`, token };
}
