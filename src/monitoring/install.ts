import { copyFileSync, existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OpsError } from "../core/errors.js";
import { writeFileAtomic } from "../system/files.js";

/**
 * The monitoring pack (docs/monitoring.md): Prometheus alert rules and their
 * unit tests, an Alertmanager example, Grafana dashboards and the runbooks the
 * alerts link to. They ship in the package beside `dist/` (`deploy/monitoring/`,
 * `docs/runbooks/`); `installMonitoring` copies them where an operator's
 * Prometheus, Alertmanager and Grafana read them.
 */

/** Written into `alerts.yml`'s `runbook_url`s; replaced by the runbook base at install. */
export const RUNBOOK_PLACEHOLDER = "__RUNBOOK_BASE__";
/** The base when none is given: the runbooks' place in the clawops repository. */
export const DEFAULT_RUNBOOK_BASE = "docs/runbooks";

/** The package root: two levels above this file, whether it runs from `src/` or `dist/`. */
const PACKAGE_ROOT = path.resolve(fileURLToPath(import.meta.url), "../../..");
export const PACK_DIR = path.join(PACKAGE_ROOT, "deploy", "monitoring");
export const RUNBOOKS_DIR = path.join(PACKAGE_ROOT, "docs", "runbooks");

export interface PackFile {
  /** Relative to the install dir, `/`-separated. */
  target: string;
  content: string;
}

export type InstallStatus = "created" | "updated" | "unchanged";

export interface InstalledFile {
  /** Absolute path written (or left as it was). */
  path: string;
  status: InstallStatus;
  /** Where the file it replaced was kept (`--force`). */
  backup?: string;
}

export interface InstallOptions {
  /** Where to write; created when missing. */
  dir: string;
  /** Base URL of the runbooks (`https://wiki.example.com/clawops/runbooks`); no trailing slash needed. */
  runbookBase?: string;
  /** Replace files that differ (each kept as `<file>.bak-<time>` first). */
  force?: boolean;
  /** The backup suffix's clock; injected by tests. */
  now?: () => Date;
}

/** The pack's files as they will be written, the runbook base substituted. Throws when the pack is missing. */
export function resolvePackFiles(runbookBase = DEFAULT_RUNBOOK_BASE): PackFile[] {
  if (!existsSync(PACK_DIR))
    throw new OpsError(
      "NOT_FOUND",
      `the monitoring pack is missing from this install (${PACK_DIR})`,
    );
  const base = runbookBase.replace(/\/+$/, "");
  const substitute = (text: string) => text.split(RUNBOOK_PLACEHOLDER).join(base);
  const files: PackFile[] = [];
  for (const name of ["alerts.yml", "alerts.test.yml", "alertmanager.yml"])
    files.push({ target: name, content: substitute(read(path.join(PACK_DIR, name))) });
  for (const [dir, prefix, ext] of [
    [path.join(PACK_DIR, "grafana"), "grafana", ".json"],
    [RUNBOOKS_DIR, "runbooks", ".md"],
  ] as const) {
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith(ext))
      .sort())
      files.push({ target: `${prefix}/${name}`, content: read(path.join(dir, name)) });
  }
  return files;
}

/**
 * Writes the pack to `options.dir`: each file through a temp file and a
 * rename. A file that exists with other content is refused (CONFLICT, naming
 * every such file, nothing written) unless `force`, which keeps a backup of
 * it first. Identical files are left alone.
 */
export function installMonitoring(options: InstallOptions): InstalledFile[] {
  const dir = path.resolve(options.dir);
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new OpsError("USAGE", `${dir} is not a directory`);
  const files = resolvePackFiles(options.runbookBase);
  const plan = files.map((file) => {
    const target = path.join(dir, ...file.target.split("/"));
    const before = existsSync(target) ? read(target) : null;
    return { file, target, before };
  });
  const conflicts = plan.filter((p) => p.before !== null && p.before !== p.file.content);
  if (conflicts.length > 0 && !options.force)
    throw new OpsError(
      "CONFLICT",
      `${conflicts.length} file(s) in ${dir} differ from the pack: ${conflicts.map((c) => c.file.target).join(", ")}; --force replaces them (each kept as a backup first)`,
      { details: { files: conflicts.map((c) => c.target) } },
    );
  const stamp = (options.now?.() ?? new Date()).toISOString().replace(/[:.]/g, "-");
  return plan.map(({ file, target, before }): InstalledFile => {
    if (before === file.content) return { path: target, status: "unchanged" };
    if (before === null) {
      writeFileAtomic(target, file.content);
      return { path: target, status: "created" };
    }
    const backup = `${target}.bak-${stamp}`;
    copyFileSync(target, backup);
    writeFileAtomic(target, file.content);
    return { path: target, status: "updated", backup };
  });
}

/**
 * The `scrape_configs` and `rule_files` to add to prometheus.yml: a bearer
 * token read from a file (a placeholder path; never a secret itself).
 */
export function resolveScrapeSnippet(options: {
  target: string;
  scheme: "http" | "https";
  rulesFile: string;
}): string {
  return [
    "# prometheus.yml: clawops's /metrics needs an API token (docs/access.md):",
    "#   clawops token create prometheus --role viewer --json | jq -r .secret > /etc/prometheus/clawops.token",
    "rule_files:",
    `  - ${options.rulesFile}`,
    "scrape_configs:",
    '  - job_name: clawops # the alerts\' `up{job="clawops"}` expects this name',
    "    scrape_interval: 15s",
    "    metrics_path: /metrics",
    `    scheme: ${options.scheme}`,
    "    authorization:",
    "      type: Bearer",
    "      credentials_file: /etc/prometheus/clawops.token",
    "    static_configs:",
    `      - targets: ["${options.target}"]`,
    "",
  ].join("\n");
}

function read(file: string): string {
  return readFileSync(file, "utf8");
}
