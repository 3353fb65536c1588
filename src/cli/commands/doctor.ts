import path from "node:path";
import { type Command, Option } from "commander";
import { type Finding, isAutomaticFix } from "../../core/finding.js";
import { OpsError } from "../../core/errors.js";
import { type FixOutcome, type OpenClawFixOutcome, applyFixes } from "../../doctor/fix.js";
import type { DoctorReport } from "../../doctor/run-doctor.js";
import { resolveDoctorTargets } from "../../doctor/targets.js";
import { DOCTOR_RULES } from "../../doctor/rules/index.js";
import { DoctorService } from "../../doctor/service.js";
import { act } from "../act.js";
import { type CommandOptions, withRegistry } from "../context.js";
import { EXIT, emit } from "../output.js";

interface DoctorOptions extends CommandOptions {
  bot?: string;
  openclawConfig?: string;
  stateDir?: string;
  fix?: boolean;
  openclawFix?: boolean;
  dryRun?: boolean;
  strict?: boolean;
  fast?: boolean;
  format: "text" | "json" | "github";
  rules?: boolean;
}

interface DoctorResult {
  report: DoctorReport;
  fix?: FixOutcome;
}

export function registerDoctor(program: Command) {
  const config = new Option("--config <path>", "check this openclaw.json");
  config.attributeName = () => "openclawConfig";
  program
    .command("doctor")
    .description(
      "check gateway configs before they deploy: OpenClaw's schema, legacy keys, provider credentials, bind safety, secrets, permissions, ports (exit 0 clean, 1 errors, 2 usage)",
    )
    .option("--bot <name>", "check one registered bot (default: every bot)")
    .addOption(config)
    .option("--state-dir <dir>", "the state dir that goes with --config")
    .option("--fix", "apply the minimal fixes (backup first, diff shown), then check again")
    .option("--dry-run", "with --fix: show the diff, change nothing")
    .option(
      "--openclaw-fix",
      "run OpenClaw's own broad `doctor --fix` on one bot or config (stopped gateway; backup and diff)",
    )
    .option("--strict", "warnings count as errors for the exit code")
    .option("--fast", "only the quick rules (what runs before every start)")
    .addOption(
      new Option("--format <format>", "output format")
        .choices(["text", "json", "github"])
        .default("text"),
    )
    .option("--rules", "list the rules and exit")
    .option("--json", "print JSON (same as --format json)")
    .action(
      act(async (options: DoctorOptions) => {
        if (options.rules) {
          emit(
            options,
            {
              rules: DOCTOR_RULES.map(({ id, description, speed, scope }) => ({
                id,
                description,
                speed,
                scope,
              })),
            },
            ({ rules }) =>
              rules
                .map(
                  (r) =>
                    `${r.id.padEnd(20)} ${r.scope.padEnd(8)} ${r.speed === "slow" ? "(slow) " : ""}${r.description}`,
                )
                .join("\n"),
          );
          return EXIT.ok;
        }
        if (options.json) options.format = "json";
        let ran: OpenClawFixOutcome | undefined;
        const results = await withRegistry(options, async ({ store, config }) => {
          const bots = await store.listBots();
          const targets = resolveDoctorTargets(bots, {
            bot: options.bot,
            configFile: options.openclawConfig,
            stateDir: options.stateDir,
          });
          const doctor = new DoctorService(config, async () => bots);
          const speed = options.fast ? ("fast" as const) : ("all" as const);
          const out: DoctorResult[] = [];
          if (options.openclawFix) {
            if (targets.length !== 1 || (!options.bot && !options.openclawConfig))
              throw new OpsError(
                "USAGE",
                "--openclaw-fix needs one target: --bot NAME or --config PATH",
              );
            progress(options, "running openclaw doctor --fix…");
            ran = await doctor.openclawFix(targets[0]!);
            if (options.format === "text") process.stdout.write(renderOpenClawFix(ran));
          }
          for (const target of targets) {
            progress(options, `checking ${target.bot?.name ?? target.configFile}…`);
            let report = await doctor.check(target, { speed });
            let fix: FixOutcome | undefined;
            if (options.fix) {
              fix = applyFixes(report.configFile, report.findings, { dryRun: options.dryRun });
              if (fix.applied.length > 0 && !options.dryRun)
                report = await doctor.check(target, { speed });
            }
            out.push({ report, ...(fix ? { fix } : {}) });
          }
          return out;
        });
        render(options, results, ran);
        const failing = results.some(
          ({ report }) => report.counts.error > 0 || (options.strict && report.counts.warning > 0),
        );
        return failing ? EXIT.failure : EXIT.ok;
      }),
    );
}

function progress(options: DoctorOptions, message: string) {
  if (options.format === "text" && process.stderr.isTTY) process.stderr.write(`${message}\r\x1b[K`);
}

function render(options: DoctorOptions, results: DoctorResult[], openclawFix?: OpenClawFixOutcome) {
  if (options.format === "json") {
    emit({ json: true }, { ...(openclawFix ? { openclawFix } : {}), results }, () => "");
    return;
  }
  if (options.format === "github") {
    const lines = results.flatMap(({ report }) => report.findings.map(githubAnnotation));
    if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
    return;
  }
  process.stdout.write(`${results.map(renderResult).join("\n\n")}\n`);
}

function renderResult({ report, fix }: DoctorResult): string {
  const title = `${report.bot ?? path.basename(path.dirname(report.configFile))}  ${report.configFile}${report.openclawVersion ? `  (openclaw ${report.openclawVersion})` : ""}`;
  const lines = [title];
  if (fix) lines.push(...renderFix(fix));
  for (const finding of report.findings) lines.push(...renderFinding(finding));
  const fixable = report.findings.filter((f) => isAutomaticFix(f.fix)).length;
  const { error, warning, info } = report.counts;
  lines.push(
    `${error === 0 && warning === 0 && info === 0 ? "no findings" : `${plural(error, "error")}, ${plural(warning, "warning")}, ${info} info`}` +
      (fixable > 0 && !fix ? `; ${fixable} fixable with --fix` : "") +
      `  (${report.durationMs} ms)`,
  );
  return lines.join("\n");
}

function renderFinding(finding: Finding): string[] {
  const where = finding.line
    ? `${finding.path}  (${path.basename(finding.file ?? "")}:${finding.line}:${finding.column})`
    : finding.path;
  const lines = [`  ${finding.severity.padEnd(7)}  ${where}`, indented(finding.message)];
  if (finding.fix)
    lines.push(
      indented(
        `${finding.fix.kind === "manual" ? "to fix" : "fix (--fix)"}: ${finding.fix.summary}`,
      ),
    );
  const also = finding.evidence?.alsoReportedBy as string[] | undefined;
  if (also?.length) lines.push(indented(`also reported by ${also.join(", ")}`));
  return lines;
}

/** A finding's text under its heading, every line of it (OpenClaw's messages span several). */
function indented(text: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => `           ${line}`)
    .join("\n");
}

function renderOpenClawFix(ran: OpenClawFixOutcome): string {
  const lines = [
    `openclaw doctor --fix ran (${Math.round(ran.durationMs / 1000)} s); backup: ${ran.backup}`,
    ran.diff ? ran.diff.trimEnd() : "the config was not changed",
    "what openclaw printed:",
    ...ran.output.split("\n").map((line) => `  ${line}`),
    "",
  ];
  return `${lines.join("\n")}\n`;
}

function renderFix(fix: FixOutcome): string[] {
  const lines: string[] = [];
  if (fix.diff) lines.push(fix.diff.trimEnd());
  for (const applied of fix.applied)
    lines.push(`  ${fix.dryRun ? "would fix" : "fixed"}  ${applied.path}: ${applied.summary}`);
  for (const failed of fix.failed) lines.push(`  not fixed  ${failed.path}: ${failed.reason}`);
  if (fix.backup) lines.push(`  backup: ${fix.backup}`);
  if (fix.applied.length === 0 && fix.failed.length === 0)
    lines.push("  nothing to fix automatically");
  if (!fix.dryRun && fix.applied.length > 0) lines.push("  after the fixes:");
  return lines;
}

/** A GitHub Actions workflow command: the finding shows on the file's line in a pull request. */
function githubAnnotation(finding: Finding): string {
  const level = finding.severity === "info" ? "notice" : finding.severity;
  const props = [
    finding.file ? `file=${escapeProperty(finding.file)}` : null,
    finding.line ? `line=${finding.line}` : null,
    finding.column ? `col=${finding.column}` : null,
    `title=${escapeProperty(`${finding.id} ${finding.path}`)}`,
  ].filter(Boolean);
  const fix = finding.fix ? ` (fix: ${finding.fix.summary})` : "";
  return `::${level} ${props.join(",")}::${escapeData(finding.message + fix)}`;
}

function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
