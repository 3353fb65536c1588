import { chmodSync, copyFileSync, existsSync, readFileSync, statSync } from "node:fs";
import { createTwoFilesPatch } from "diff";
import { createRedactor, secretsInConfig } from "../core/redact.js";
import { errorMessage } from "../core/errors.js";
import type { ConfigEdit, Finding } from "../core/finding.js";
import type { OpenClawCli } from "../gateway/openclaw-cli.js";
import { writeFileAtomic } from "../system/files.js";
import { ConfigDocument, applyConfigEdits } from "./config-document.js";

export interface AppliedFix {
  id: string;
  path: string;
  summary: string;
}

export interface FixOutcome {
  applied: AppliedFix[];
  /** Fixes that could not be applied, with why. */
  failed: (AppliedFix & { reason: string })[];
  /** Findings left for the operator (manual fixes, or none). */
  manual: number;
  /** The config's backup, when the config was changed. */
  backup: string | null;
  /** Unified diff of the config change ("" when unchanged). */
  diff: string;
  dryRun: boolean;
}

/**
 * Applies the automatic fixes of `findings`: config edits in one atomic write
 * after a backup (comments and formatting kept outside the edited values),
 * then permission changes. Idempotent: the fixed problems are not found
 * again, so a second run changes nothing. `dryRun` computes the diff only.
 */
export function applyFixes(
  configFile: string,
  findings: readonly Finding[],
  options: { dryRun?: boolean; now?: Date } = {},
): FixOutcome {
  const outcome: FixOutcome = {
    applied: [],
    failed: [],
    manual: 0,
    backup: null,
    diff: "",
    dryRun: options.dryRun ?? false,
  };
  const edits: { finding: Finding; edits: ConfigEdit[]; summary: string }[] = [];
  const chmods: { finding: Finding; file: string; mode: number; summary: string }[] = [];
  for (const finding of findings) {
    const fix = finding.fix;
    if (!fix || fix.kind === "manual") outcome.manual += fix ? 1 : 0;
    else if (fix.kind === "edit-config")
      edits.push({ finding, edits: fix.edits, summary: fix.summary });
    else chmods.push({ finding, file: fix.file, mode: fix.mode, summary: fix.summary });
  }

  if (edits.length > 0) {
    const before = readFileSync(configFile, "utf8");
    let after = before;
    for (const item of edits) {
      try {
        const next = applyConfigEdits(after, item.edits);
        const check = ConfigDocument.parse(next);
        if (!check.ok) throw new Error(`the result would not parse: ${check.message}`);
        after = next;
        outcome.applied.push(describe(item.finding, item.summary));
      } catch (error) {
        outcome.failed.push({
          ...describe(item.finding, item.summary),
          reason: errorMessage(error),
        });
      }
    }
    if (after !== before) {
      outcome.diff = unifiedDiff(configFile, before, after);
      if (!outcome.dryRun) {
        outcome.backup = backupFile(configFile, options.now ?? new Date());
        writeFileAtomic(configFile, after, statSync(configFile).mode & 0o777);
      }
    }
  }

  for (const item of chmods) {
    try {
      if (!outcome.dryRun) chmodSync(item.file, item.mode);
      outcome.applied.push(describe(item.finding, item.summary));
    } catch (error) {
      outcome.failed.push({ ...describe(item.finding, item.summary), reason: errorMessage(error) });
    }
  }
  return outcome;
}

/**
 * The change to `file` as a unified diff, the way both fixers show it. It is
 * printed and served: the secrets of either version are masked (a moved
 * plaintext key shows as moved, not as its value).
 */
function unifiedDiff(file: string, before: string, after: string): string {
  const redact = createRedactor([before, after].flatMap((text) => secretsInConfig(parsed(text))));
  return redact(createTwoFilesPatch(file, file, before, after, "before", "after"));
}

function parsed(text: string): unknown {
  const document = ConfigDocument.parse(text);
  return document.ok ? document.document.value : null;
}

/** Copies `file` to `<file>.clawops-<UTC time>.bak` (mode 600: it may hold secrets). */
export function backupFile(file: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  let backup = `${file}.clawops-${stamp}.bak`;
  for (let n = 1; existsSync(backup); n++) backup = `${file}.clawops-${stamp}-${n}.bak`;
  copyFileSync(file, backup);
  chmodSync(backup, 0o600);
  return backup;
}

function describe(finding: Finding, summary: string): AppliedFix {
  return { id: finding.id, path: finding.path, summary };
}

export interface OpenClawFixOutcome {
  backup: string;
  /** Unified diff of the config ("" when OpenClaw left it as it was). */
  diff: string;
  /** What OpenClaw printed (its "Doctor changes" boxes). */
  output: string;
  durationMs: number;
}

/**
 * OpenClaw's own `doctor --fix`, only when the operator asks for it by name:
 * the config is backed up first and the diff shown. OpenClaw archives the
 * files it migrates (a legacy auth-profiles.json, JSONL sessions) rather than
 * deleting them; it rewrites the config as plain JSON (comments are lost).
 */
export async function runOpenClawFix(
  cli: Pick<OpenClawCli, "doctorFix">,
  configFile: string,
  env: NodeJS.ProcessEnv,
  now = new Date(),
): Promise<OpenClawFixOutcome> {
  const before = readFileSync(configFile, "utf8");
  const backup = backupFile(configFile, now);
  const run = await cli.doctorFix({ env });
  const after = readFileSync(configFile, "utf8");
  const diff = after === before ? "" : unifiedDiff(configFile, before, after);
  return { backup, diff, output: run.output, durationMs: run.durationMs };
}
