import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Bot } from "../core/bot.js";
import { applyFixes } from "../doctor/fix.js";
import type { DoctorService } from "../doctor/service.js";
import type { Store } from "../store/store.js";
import { gatewaySecrets } from "../gateway/environment.js";
import type { Supervisor } from "../supervisor/supervisor.js";
import { writeFileAtomic } from "../system/files.js";
import type { ActionContext } from "./action.js";
import { createRedactor } from "../core/redact.js";
import type { RepairSettings } from "./settings.js";

/** What one repair of one bot may use: its gateway through the supervisor, the doctor, its files. */
export function createActionContext(input: {
  bot: Bot;
  /** Recorded on every lifecycle change the repair makes. */
  actor: string;
  sinceMs: number;
  requireReady: boolean;
  settings: RepairSettings;
  dataDir: string;
  supervisor: Supervisor;
  store: Store;
  doctor: DoctorService;
  now: () => number;
  signal: AbortSignal;
}): ActionContext {
  const { bot, supervisor, doctor, actor } = input;
  const target = (configFile: string) => ({ configFile, stateDir: bot.stateDir, bot });
  const assertStillWanted = async () => {
    const current = await input.store.findBot(bot.id);
    if (current?.desiredState === "stopped")
      throw new Error(
        `${bot.name} is stopped by an operator (desired state stopped): the repair does not start it; "clawops bot start ${bot.name}" does`,
      );
  };
  return {
    bot,
    gateway: {
      instance: () => supervisor.instance(bot.id),
      awaitRelaunch: (timeoutMs, signal) => supervisor.awaitRelaunch(bot.id, timeoutMs, signal),
      // The desired state is the operator's: a repair's stop must not turn the bot off for
      // good, and a bot an operator stopped meanwhile is not started again.
      start: async (reason) => {
        await assertStillWanted();
        return supervisor.start(bot.id, actor, { reason, keepDesired: true });
      },
      stop: (reason) => supervisor.stop(bot.id, actor, { reason, keepDesired: true }),
      restart: async (reason) => {
        await assertStillWanted();
        return supervisor.restart(bot.id, actor, { reason, keepDesired: true });
      },
      fleetPids: async () =>
        (await supervisor.instances()).flatMap((i) => (i.pid === null ? [] : [i.pid])),
    },
    since: input.sinceMs,
    requireReady: input.requireReady,
    settings: input.settings,
    configProblems: (configFile) => configProblems(doctor, bot, configFile),
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
    now: () => new Date(input.now()),
    signal: input.signal,
  };
}

/** The doctor's errors about a config file of `bot` (config rules only); [] when OpenClaw would take it. */
export async function configProblems(
  doctor: DoctorService,
  bot: Bot,
  configFile: string,
): Promise<string[]> {
  const report = await doctor.check(
    { configFile, stateDir: bot.stateDir, bot },
    { speed: "fast", scopes: ["config"] },
  );
  return report.findings
    .filter((f) => f.severity === "error")
    .map((f) => `${f.path}: ${f.message}`);
}

/**
 * Masks every secret the bot's gateway knows (`gatewaySecrets`), from every
 * config a repair may show too: a restore's diff is the whole known-good file.
 */
export function botRedactor(
  bot: Bot,
  supervisorEnv: Record<string, string>,
  dataDir: string,
): (text: string) => string {
  return createRedactor(gatewaySecrets(supervisorEnv, bot, [knownGoodFile(dataDir, bot.name)]));
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
