import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import JSON5 from "json5";
import type { Logger } from "pino";
import type { Bot } from "../core/bot.js";
import { applyFixes } from "../doctor/fix.js";
import { CONFIG_RULES } from "../doctor/rules/index.js";
import type { DoctorService } from "../doctor/service.js";
import { gatewayTokenFrom } from "../gateway/openclaw-config.js";
import type { Supervisor } from "../supervisor/supervisor.js";
import { writeFileAtomic } from "../system/files.js";
import type { ActionContext } from "./action.js";
import { createRedactor, secretsInConfig, secretsInEnv } from "./redact.js";
import type { RepairSettings } from "./settings.js";

/** What one repair of one bot may use: its gateway through the supervisor, the doctor, its files. */
export function createActionContext(input: {
  bot: Bot;
  env: NodeJS.ProcessEnv;
  /** Recorded on every lifecycle change the repair makes. */
  actor: string;
  sinceMs: number;
  settings: RepairSettings;
  dataDir: string;
  supervisor: Supervisor;
  doctor: DoctorService;
  log: Logger;
  now: () => number;
  signal: AbortSignal;
}): ActionContext {
  const { bot, supervisor, doctor, actor } = input;
  const target = (configFile: string) => ({ configFile, stateDir: bot.stateDir, bot });
  return {
    bot,
    gateway: {
      instance: async () => (await supervisor.instances()).find((i) => i.botId === bot.id) ?? null,
      start: (reason) => supervisor.start(bot.id, actor, reason),
      stop: (reason) => supervisor.stop(bot.id, actor, reason),
      restart: (reason) => supervisor.restart(bot.id, actor, reason),
    },
    since: input.sinceMs,
    settings: input.settings,
    env: input.env,
    async configProblems(configFile) {
      const report = await doctor.check(target(configFile), { speed: "fast", rules: CONFIG_RULES });
      return report.findings
        .filter((f) => f.severity === "error")
        .map((f) => `${f.path}: ${f.message}`);
    },
    async doctorFix() {
      const report = await doctor.check(target(bot.configPath), { speed: "fast" });
      const outcome = applyFixes(bot.configPath, report.findings, { now: new Date(input.now()) });
      if (outcome.applied.length === 0)
        throw new Error("the doctor has no automatic fix for these findings");
      return {
        detail: `applied ${outcome.applied.map((f) => f.summary).join("; ")}`,
        diff: outcome.diff,
        ...(outcome.backup ? { backup: outcome.backup } : {}),
      };
    },
    async openclawFix() {
      const outcome = await doctor.openclawFix(target(bot.configPath));
      return {
        detail: `OpenClaw's doctor --fix ran in ${Math.round(outcome.durationMs / 100) / 10}s`,
        diff: outcome.diff,
        backup: outcome.backup,
      };
    },
    knownGood: knownGoodFile(input.dataDir, bot.name),
    archiveDir: path.join(input.dataDir, "archive", bot.name),
    log: input.log,
    now: () => new Date(input.now()),
    signal: input.signal,
  };
}

/** Masks the bot's gateway token, its config's secrets and every secret-named variable. */
export function botRedactor(bot: Bot, env: NodeJS.ProcessEnv): (text: string) => string {
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON5.parse<Record<string, unknown>>(readFileSync(bot.configPath, "utf8"));
  } catch {
    // An unreadable config has no secrets to know; the patterns still apply.
  }
  return createRedactor([
    gatewayTokenFrom(parsed, env),
    ...secretsInConfig(parsed),
    ...secretsInEnv(env),
    ...secretsInEnv(process.env),
  ]);
}

/** `<dataDir>/known-good/<bot>.json`: the config the bot's gateway last came up running with. */
export function knownGoodFile(dataDir: string, botName: string): string {
  return path.join(dataDir, "known-good", `${botName}.json`);
}

/** Copies the bot's config to its known-good file (mode 600: it holds secrets) when it changed. */
export function saveKnownGood(dataDir: string, bot: Bot): void {
  const text = readFileSync(bot.configPath, "utf8");
  const file = knownGoodFile(dataDir, bot.name);
  let previous: string | null = null;
  try {
    previous = readFileSync(file, "utf8");
  } catch {
    // The first one.
  }
  if (previous === text) return;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, text, 0o600);
}
