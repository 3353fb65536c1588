import type { Command } from "commander";
import {
  type InstallResult,
  type ServiceOptions,
  type ServiceStatus,
  type UninstallResult,
  installService,
  serviceStatus,
  uninstallService,
} from "../../service/install.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig } from "../context.js";
import { EXIT, emit } from "../output.js";

interface ServiceCliOptions extends CommandOptions {
  user?: boolean;
  unitDir?: string;
  secretsFile?: string;
  runAs?: string;
  readWrite?: string[];
  writeOnly?: boolean;
  enable?: boolean;
}

export function registerServiceCommands(program: Command) {
  const service = program
    .command("service")
    .description("run clawops itself as a systemd service (docs/service.md)");
  const common = (command: Command) =>
    command
      .option("--user", "a user unit (systemctl --user) instead of a system-wide one")
      .option(
        "--unit-dir <dir>",
        "write the unit here instead of systemd's folder (implies --write-only)",
      )
      .option(
        "--secrets-file <file>",
        "the environment file for secrets (not --env-file: Node 20 takes that for itself) (default /etc/clawops/clawops.env, ~/.config/clawops/clawops.env with --user)",
      )
      .option(
        "--run-as <user>",
        "system unit: the dedicated user clawops runs as (default clawops; root for root)",
      )
      .option(
        "--read-write <dir...>",
        "more folders clawops or its gateways write (bots' state dirs outside the data dir)",
      )
      .option("--json", "print JSON");

  common(service.command("install"))
    .description(
      "write clawops.service (hardened, secrets from the environment file) and enable it",
    )
    .option("--write-only", "write the unit only; no systemctl")
    .option("--no-enable", "the same as --write-only")
    .action(
      act(async (options: ServiceCliOptions) => {
        const result = await installService({
          ...serviceOptions(options),
          writeOnly: options.writeOnly === true || options.enable === false,
        });
        emit(options, { service: result }, renderInstall);
        return EXIT.ok;
      }),
    );

  common(service.command("uninstall"))
    .description(
      "disable and remove the unit clawops wrote (never another one); the environment file is kept",
    )
    .action(
      act(async (options: ServiceCliOptions) => {
        const result = await uninstallService(serviceOptions(options));
        emit(options, { service: result }, renderUninstall);
        return EXIT.ok;
      }),
    );

  common(service.command("status"))
    .description("whether the unit is installed, current and running")
    .action(
      act(async (options: ServiceCliOptions) => {
        const result = await serviceStatus(serviceOptions(options));
        emit(options, { service: result }, renderStatus);
        return EXIT.ok;
      }),
    );
}

function serviceOptions(options: ServiceCliOptions): ServiceOptions {
  const { config, file } = loadCliConfig(options);
  return {
    scope: options.user ? "user" : "system",
    config,
    configFile: file,
    ...(options.unitDir ? { unitDir: options.unitDir } : {}),
    ...(options.secretsFile ? { envFile: options.secretsFile } : {}),
    ...(options.runAs ? { runAs: options.runAs } : {}),
    ...(options.readWrite ? { readWrite: options.readWrite } : {}),
  };
}

function renderInstall({ service: r }: { service: InstallResult }): string {
  const lines = [
    `${r.change === "unchanged" ? "unit unchanged" : "unit written"}: ${r.unitFile}`,
    ...(r.backup ? [`  the previous unit was kept as ${r.backup}`] : []),
    `  secrets go in ${r.envFile} (NAME=value lines; mode 600)`,
    r.enabled
      ? "  enabled and started"
      : r.systemd
        ? "  not enabled (--write-only)"
        : "  not enabled: systemd is not running on this host",
    ...r.warnings.map((w) => `  warning: ${w}`),
  ];
  return lines.join("\n");
}

function renderUninstall({ service: r }: { service: UninstallResult }): string {
  if (!r.removed) return `no unit at ${r.unitFile}: nothing to remove`;
  return `removed ${r.unitFile}${r.systemd ? " (disabled and stopped)" : ""}\n  kept ${r.envFile}`;
}

function renderStatus({ service: s }: { service: ServiceStatus }): string {
  if (!s.installed) return `not installed (${s.unitFile})`;
  const lines = [
    `${s.unitFile}: ${s.ours ? (s.upToDate ? "written by clawops, current" : "written by clawops, differs from what install writes now") : "not written by clawops"}`,
    s.state
      ? `  ${s.state.ActiveState ?? "?"} (${s.state.SubState ?? "?"}), ${s.state.UnitFileState ?? "?"}, pid ${s.state.MainPID ?? "?"}`
      : "  systemd is not running on this host",
  ];
  return lines.join("\n");
}
