import { copyFileSync, existsSync, readFileSync, statSync } from "node:fs";
import { createTwoFilesPatch } from "diff";
import { z } from "zod";
import type { Bot } from "../../core/bot.js";
import { backupFile } from "../../doctor/fix.js";
import { writeFileAtomic } from "../../system/files.js";
import { type ActionContext, defineAction } from "../action.js";
import type { Evidence } from "../evidence.js";
import { gatewayStopped, stop } from "./lifecycle.js";
import { findLegacyAuthFiles } from "../../gateway/state-files.js";

/**
 * Known-good copies of a bot's config, newest first: clawops's own (saved
 * each time the gateway came up running) and OpenClaw's `openclaw.json.last-good`
 * (which 2026.9.6 writes only now and then, not at every good boot).
 */
export function lastGoodCandidates(bot: Bot, knownGood: string): string[] {
  return [knownGood, `${bot.configPath}.last-good`]
    .filter((file) => existsSync(file))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
}

/** The newest known-good copy that clawops's doctor finds valid, or why there is none. */
async function validLastGood(context: ActionContext): Promise<{ file: string } | { why: string }> {
  const candidates = lastGoodCandidates(context.bot, context.knownGood);
  if (candidates.length === 0) return { why: "there is no known-good copy of the config" };
  const reasons: string[] = [];
  for (const file of candidates) {
    const problems = await context.configProblems(file);
    if (problems.length === 0) return { file };
    reasons.push(`${file}: ${problems.join("; ")}`);
  }
  return { why: `no known-good copy is valid: ${reasons.join(" | ")}` };
}

async function configValid(context: ActionContext): Promise<string | null> {
  const problems = await context.configProblems(context.bot.configPath);
  return problems.length === 0 ? null : `the config is still invalid: ${problems.join("; ")}`;
}

/** The cause both config fixes answer; which one runs depends on a valid known-good copy. */
function invalidConfig(evidence: Evidence): string {
  return `invalid config: ${evidence.configProblems.slice(0, 3).join("; ")}`;
}

export const restoreLastGoodConfig = defineAction({
  name: "restore-last-good-config",
  description:
    "replace an invalid openclaw.json with its newest valid known-good copy (clawops's, or OpenClaw's openclaw.json.last-good); backup and diff kept",
  params: z.strictObject({}),
  async precondition(context) {
    const { configPath } = context.bot;
    if (existsSync(configPath) && (await context.configProblems(configPath)).length === 0)
      return "the current config is valid";
    const found = await validLastGood(context);
    return "why" in found ? found.why : null;
  },
  async execute(context) {
    const { configPath } = context.bot;
    const found = await validLastGood(context);
    if ("why" in found) throw new Error(found.why);
    const before = existsSync(configPath) ? readFileSync(configPath, "utf8") : "";
    const after = readFileSync(found.file, "utf8");
    const backup = existsSync(configPath) ? backupFile(configPath, context.now()) : undefined;
    if (backup) writeFileAtomic(configPath, after, statSync(configPath).mode & 0o777);
    else copyFileSync(found.file, configPath);
    return {
      detail: `restored ${configPath} from ${found.file}${backup ? `; the invalid one is kept as ${backup}` : ""}`,
      diff: createTwoFilesPatch(configPath, configPath, before, after, "invalid", "last good"),
      ...(backup ? { backup } : {}),
    };
  },
  verify: configValid,
  deepFix: {
    cause: (evidence) =>
      evidence.configProblems.length > 0 && evidence.lastGood.some((c) => c.problems.length === 0)
        ? invalidConfig(evidence)
        : null,
  },
});

export const applyDoctorFixes = defineAction({
  name: "apply-doctor-fixes",
  description:
    "apply clawops doctor's minimal automatic fixes to the config (comments kept, backup and diff kept)",
  params: z.strictObject({}),
  async precondition(context) {
    const problems = await context.configProblems(context.bot.configPath);
    return problems.length > 0 ? null : "the config is valid";
  },
  execute: (context) => context.doctorFix(),
  verify: configValid,
  // Without a valid known-good copy to restore, the doctor's minimal fixes are what is left.
  deepFix: {
    cause: (evidence) =>
      evidence.configProblems.length > 0 && !evidence.lastGood.some((c) => c.problems.length === 0)
        ? invalidConfig(evidence)
        : null,
  },
});

export const runOpenClawDoctorFix = defineAction({
  name: "run-openclaw-doctor-fix-with-backup",
  description:
    "run OpenClaw's own `doctor --fix` on the stopped gateway's config and state (broad migrations; the config is backed up and the diff kept)",
  params: z.strictObject({}),
  precondition: gatewayStopped,
  execute: (context) => context.openclawFix(),
  verify: async () => null,
});

export const archiveLegacyAuth = defineAction({
  name: "archive-legacy-auth",
  description:
    "import a legacy auth-profiles.json that blocks its providers (AUTH_PROFILE_MIGRATION_REQUIRED) through OpenClaw's own migration, which archives the file; the gateway must be stopped",
  params: z.strictObject({}),
  async precondition(context) {
    if (findLegacyAuthFiles(context.bot.stateDir).length === 0)
      return "no legacy auth-profiles.json";
    return gatewayStopped(context);
  },
  async execute(context) {
    const files = findLegacyAuthFiles(context.bot.stateDir);
    const fixed = await context.openclawFix();
    return { ...fixed, detail: `migrated ${files.join(", ")}: ${fixed.detail}` };
  },
  async verify(context) {
    const left = findLegacyAuthFiles(context.bot.stateDir);
    return left.length === 0 ? null : `still there: ${left.join(", ")}`;
  },
  deepFix: {
    cause: (evidence) =>
      evidence.legacyAuthFiles.length > 0
        ? `legacy auth-profiles.json blocks its providers (${evidence.legacyAuthFiles.length} file(s))`
        : null,
    before: [stop],
  },
});
