import { existsSync } from "node:fs";
import path from "node:path";
import type { Bot } from "../core/bot.js";
import { OpsError } from "../core/errors.js";
import { realPath } from "../system/files.js";
import type { DoctorTarget } from "./rule.js";

/**
 * What `clawops doctor` checks: one bot, one config file, or (with neither)
 * every registered bot. A config file that belongs to a registered bot is
 * checked as that bot, with its state dir and port.
 */
export function resolveDoctorTargets(
  bots: readonly Bot[],
  choice: { bot?: string; configFile?: string; stateDir?: string },
  env: NodeJS.ProcessEnv = process.env,
): DoctorTarget[] {
  if (choice.bot) {
    const bot = bots.find((b) => b.name === choice.bot || b.id === choice.bot);
    if (!bot) throw new OpsError("NOT_FOUND", `no bot named ${choice.bot}`);
    return [{ configFile: bot.configPath, stateDir: bot.stateDir, bot }];
  }
  if (choice.configFile) {
    const configFile = path.resolve(choice.configFile);
    const bot = bots.find((b) => realPath(b.configPath) === realPath(configFile)) ?? null;
    const stateDir = choice.stateDir
      ? path.resolve(choice.stateDir)
      : (bot?.stateDir ?? guessStateDir(configFile, env));
    return [{ configFile, stateDir, bot }];
  }
  if (bots.length === 0) {
    throw new OpsError(
      "USAGE",
      "no bots are registered: name a config with --config PATH (or register one with `clawops bot add`)",
    );
  }
  return bots.map((bot) => ({ configFile: bot.configPath, stateDir: bot.stateDir, bot }));
}

/**
 * OPENCLAW_STATE_DIR when set, else the config's folder when it looks like a
 * state dir (OpenClaw keeps openclaw.json inside it by default), else unknown.
 */
function guessStateDir(configFile: string, env: NodeJS.ProcessEnv): string | null {
  if (env.OPENCLAW_STATE_DIR) return path.resolve(env.OPENCLAW_STATE_DIR);
  const folder = path.dirname(configFile);
  const looksLikeState = ["state", "agents"].some((child) => existsSync(path.join(folder, child)));
  return looksLikeState ? folder : null;
}
