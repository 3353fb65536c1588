import type { ReadinessReport, ReadinessResult } from "../readiness/runner.js";

const MARK = { pass: "PASS", warn: "WARN", fail: "FAIL", skip: "skip" } as const;
const ICON = { pass: "✅", warn: "⚠️", fail: "❌", skip: "➖" } as const;

/** The report for a terminal: one line per component, its fix under it, then the score. */
export function renderReadinessText(report: ReadinessReport): string {
  const width = Math.max(4, ...report.results.map((r) => r.name.length));
  const lines = report.results.flatMap((r) => {
    const head = `${MARK[r.status]}  ${r.name.padEnd(width)}  ${r.summary}`;
    return r.fix ? [head, `      ${" ".repeat(width)}fix: ${r.fix}`] : [head];
  });
  lines.push("", `readiness ${report.score}/100 (${report.status}): ${countsText(report)}`);
  return lines.join("\n");
}

/**
 * The report as Markdown, stable for diffs: sorted components, no clock
 * readings (those are in `--json`'s `timings`), evidence keys sorted.
 */
export function renderReadinessMarkdown(report: ReadinessReport): string {
  const out = [
    `# Production readiness: ${report.score}/100 (${report.status})`,
    "",
    countsText(report),
    "",
    "| status | component | check | target | summary |",
    "| --- | --- | --- | --- | --- |",
    ...report.results.map(
      (r) =>
        `| ${ICON[r.status]} ${r.status} | ${cell(r.name)} | ${cell(r.title)} | ${cell(r.target)} | ${cell(r.summary)} |`,
    ),
  ];
  const fixes = report.results.filter((r) => r.fix);
  if (fixes.length > 0) {
    out.push("", "## Fixes", "");
    for (const r of fixes) out.push(`- **${r.name}** (${r.status}): ${r.fix}`);
  }
  out.push("", "## Evidence", "");
  for (const r of report.results) out.push(...evidenceBlock(r));
  out.push(
    "Score: the weighted mean of pass (1), warn (0.5) and fail (0); skipped components are not scored (docs/readiness.md).",
  );
  return `${out.join("\n")}\n`;
}

function evidenceBlock(r: ReadinessResult): string[] {
  const keys = Object.keys(r.evidence).sort();
  const head = `### ${r.name}`;
  const meta = `- source: ${r.source}; weight: ${r.weight}`;
  const rows = keys.map((k) => {
    const value = r.evidence[k];
    return `- ${k}: ${Array.isArray(value) ? value.join(", ") : String(value)}`;
  });
  return [head, "", meta, ...rows, ""];
}

function countsText(report: ReadinessReport): string {
  const { pass, warn, fail, skip } = report.counts;
  return `${pass} pass, ${warn} warn, ${fail} fail${skip ? `, ${skip} skipped` : ""}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
