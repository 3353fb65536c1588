import path from "node:path";
import type { Command } from "commander";
import { errorMessage } from "../../core/errors.js";
import { apiBaseUrl } from "../../http/tls.js";
import {
  DEFAULT_RUNBOOK_BASE,
  type InstalledFile,
  installMonitoring,
  resolveScrapeSnippet,
} from "../../monitoring/install.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig } from "../context.js";
import { EXIT, emit } from "../output.js";

interface InstallOptions extends CommandOptions {
  to: string;
  runbookBase?: string;
  force?: boolean;
}

/** `clawops monitoring install`: the alert rules, Alertmanager example, dashboards and runbooks. */
export function registerMonitoringCommands(program: Command) {
  const monitoring = program
    .command("monitoring")
    .description(
      "Prometheus alerts, Grafana dashboards and runbooks for clawops (docs/monitoring.md)",
    );
  monitoring
    .command("install")
    .description(
      "write the alert rules (and their promtool tests), an Alertmanager example, the Grafana dashboards and the runbooks to DIR; print the scrape config to add",
    )
    .requiredOption("--to <dir>", "where to write (created when missing)")
    .option(
      "--runbook-base <url>",
      `base URL of the runbooks in each alert's runbook_url (default: ${DEFAULT_RUNBOOK_BASE}, as in the repository)`,
    )
    .option("--force", "replace files that differ (each kept as <file>.bak-<time> first)")
    .option("--json", "print JSON")
    .action(
      act(async (options: InstallOptions) => {
        const files = installMonitoring({
          dir: options.to,
          ...(options.runbookBase ? { runbookBase: options.runbookBase } : {}),
          force: options.force === true,
        });
        const scrape = resolveScrapeSnippet({
          ...scrapeTarget(options),
          rulesFile: path.join(path.resolve(options.to), "alerts.yml"),
        });
        emit(options, { dir: path.resolve(options.to), files, scrape }, (r) =>
          renderInstall(r.files, r.scrape),
        );
        return EXIT.ok;
      }),
    );
}

/** The daemon's address from clawops.yaml; the default one when it cannot be read. */
function scrapeTarget(options: CommandOptions): { target: string; scheme: "http" | "https" } {
  let base = "http://127.0.0.1:7878";
  try {
    base = apiBaseUrl(loadCliConfig(options).config.http);
  } catch (error) {
    process.stderr.write(`using ${base} in the scrape config: ${errorMessage(error)}\n`);
  }
  const url = new URL(base);
  return { target: url.host, scheme: url.protocol === "https:" ? "https" : "http" };
}

function renderInstall(files: InstalledFile[], scrape: string): string {
  const lines = files.map(
    (f) => `${f.status.padEnd(9)} ${f.path}${f.backup ? ` (was kept as ${f.backup})` : ""}`,
  );
  return [...lines, "", "Add to prometheus.yml:", "", scrape].join("\n");
}
