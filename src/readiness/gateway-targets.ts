import type { ClawopsConfig } from "../config/schema.js";
import type { Bot } from "../core/bot.js";
import { OpsError } from "../core/errors.js";
import type { DoctorService } from "../doctor/service.js";
import { gatewayEnv } from "../gateway/environment.js";
import { gatewayTokenFrom, readOpenClawConfig } from "../gateway/openclaw-config.js";
import { botDoctor } from "../verify/doctor-step.js";
import type { VerifyTarget } from "../verify/verify.js";

/**
 * How the gateway check reaches a registered bot, as `clawops verify BOT`
 * does: its own port on this host, the token from its config, and the doctor
 * on its config. Throws NOT_FOUND for no such bot and CONFIG_INVALID when its
 * config sets no token clawops can read.
 */
export function resolveGatewayTarget(
  config: ClawopsConfig,
  bots: readonly Bot[],
  doctor: DoctorService,
  name: string,
): VerifyTarget {
  const bot = bots.find((b) => b.name === name);
  if (!bot) throw new OpsError("NOT_FOUND", `no bot named ${name}`);
  const token = gatewayTokenFrom(
    readOpenClawConfig(bot.configPath),
    gatewayEnv(config.supervisor.env, bot),
  );
  if (!token) {
    throw new OpsError(
      "CONFIG_INVALID",
      `${bot.configPath} sets no gateway token clawops can read (gateway.auth.token)`,
    );
  }
  return {
    name: bot.name,
    url: `http://127.0.0.1:${bot.port}`,
    token,
    doctor: botDoctor(doctor, { configFile: bot.configPath, stateDir: bot.stateDir, bot }, "all"),
  };
}
