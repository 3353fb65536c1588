import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ClawopsConfig } from "../config/schema.js";
import { OpsError, errorMessage } from "../core/errors.js";
import { writeFileAtomic } from "../system/files.js";
import { runProcess } from "../system/run.js";
import { UNIT_MARKER, UNIT_NAME, defaultServicePaths, renderClawopsUnit } from "./unit.js";

export interface ServiceOptions {
  scope: "system" | "user";
  config: ClawopsConfig;
  configFile: string | null;
  /** Default: the standard folder of the scope (then the unit is enabled). */
  unitDir?: string;
  envFile?: string;
  /** System scope: the user to run as (default `clawops`; `root` runs as root). */
  runAs?: string;
  /** More folders clawops or its gateways write. */
  readWrite?: readonly string[];
  /** Write the unit only: no systemctl. */
  writeOnly?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface InstallResult {
  unitFile: string;
  envFile: string;
  /** `written` (new), `updated` (a different unit was backed up first), `unchanged`. */
  change: "written" | "updated" | "unchanged";
  backup: string | null;
  /** Whether systemd runs here (`/run/systemd/system`). */
  systemd: boolean;
  enabled: boolean;
  warnings: string[];
}

/** The running clawops's `bin/clawops.js` (dist/service/ -> bin/). */
export function clawopsCliPath(): string {
  return fileURLToPath(new URL("../../bin/clawops.js", import.meta.url));
}

export function systemdRunning(): boolean {
  return existsSync("/run/systemd/system");
}

function resolvePaths(options: ServiceOptions) {
  const defaults = defaultServicePaths(options.scope, options.env ?? process.env, os.homedir());
  const unitDir = path.resolve(options.unitDir ?? defaults.unitDir);
  return {
    unitFile: path.join(unitDir, UNIT_NAME),
    envFile: path.resolve(options.envFile ?? defaults.envFile),
    customDir: options.unitDir !== undefined,
  };
}

/** The unit this clawops would write for `options`. */
export function renderFor(options: ServiceOptions): { text: string; user: string | null } {
  const { config, configFile } = options;
  const user = options.scope === "system" ? (options.runAs ?? "clawops") : null;
  const readWrite = [config.dataDir, ...(options.readWrite ?? []).map((p) => path.resolve(p))];
  for (const bot of config.fleet.bots) if (bot.stateDir) readWrite.push(bot.stateDir);
  const text = renderClawopsUnit({
    scope: options.scope,
    node: process.execPath,
    cli: clawopsCliPath(),
    configFile,
    workingDirectory: configFile ? path.dirname(configFile) : process.cwd(),
    readWritePaths: [...new Set(readWrite)],
    envFile: resolvePaths(options).envFile,
    user: user === "root" ? null : user,
    stopTimeoutSec: (config.daemon.shutdownTimeout + config.supervisor.stopTimeout) / 1000 + 15,
  });
  return { text, user: user === "root" ? null : user };
}

/**
 * Writes the unit (temp + rename; an existing different unit is backed up
 * beside it first) and an empty environment file when there is none, then
 * `systemctl daemon-reload` and `enable --now`. Without systemd, or with
 * `writeOnly` or a custom unit dir, only writes. Throws `UNAVAILABLE` when
 * systemd is absent and enabling was asked for (after writing, saying where).
 */
export async function installService(options: ServiceOptions): Promise<InstallResult> {
  const { unitFile, envFile, customDir } = resolvePaths(options);
  const { text, user } = renderFor(options);
  const warnings: string[] = [];
  const existing = readIfExists(unitFile);
  let backup: string | null = null;
  if (existing !== null && existing !== text) {
    backup = `${unitFile}.bak-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    copyFileSync(unitFile, backup);
  }
  if (existing !== text) writeFileAtomic(unitFile, text, 0o644);
  if (!existsSync(envFile)) {
    mkdirSync(path.dirname(envFile), { recursive: true, mode: 0o700 });
    writeFileAtomic(
      envFile,
      "# Secrets for clawops (NAME=value a line): CLAWOPS_VAULT_KEY, CLAWOPS_DATABASE_URL, notifier tokens.\n",
      0o600,
    );
  }
  const owner = user ? await lookupUser(user) : null;
  if (user && !owner) {
    const hint = `useradd --system --home-dir ${options.config.dataDir} --shell /usr/sbin/nologin ${user}`;
    if (!options.writeOnly && !customDir)
      throw new OpsError(
        "USAGE",
        `the unit runs clawops as user ${user}, who does not exist: ${hint} (or --run-as root); the unit was written to ${unitFile}`,
      );
    warnings.push(`user ${user} does not exist yet: ${hint}`);
  }
  prepareDataDir(options.config.dataDir, owner, user, warnings);
  const change = existing === null ? "written" : existing === text ? "unchanged" : "updated";
  const systemd = systemdRunning();
  const result: InstallResult = {
    unitFile,
    envFile,
    change,
    backup,
    systemd,
    enabled: false,
    warnings,
  };
  if (options.writeOnly || customDir) return result;
  if (!systemd)
    throw new OpsError(
      "UNAVAILABLE",
      `systemd is not running on this host (no /run/systemd/system): the unit was written to ${unitFile} but not enabled; on a host with systemd run: systemctl ${options.scope === "user" ? "--user " : ""}enable --now ${UNIT_NAME} (or pass --write-only)`,
      { details: { unitFile, envFile } },
    );
  await systemctl(options.scope, ["daemon-reload"]);
  await systemctl(options.scope, ["enable", "--now", UNIT_NAME]);
  result.enabled = true;
  return result;
}

export interface UninstallResult {
  unitFile: string;
  removed: boolean;
  /** Kept: it may hold secrets the operator wants. */
  envFile: string;
  systemd: boolean;
}

/** Disables and removes the unit, only if clawops wrote it (its marker line). The env file stays. */
export async function uninstallService(options: ServiceOptions): Promise<UninstallResult> {
  const { unitFile, envFile, customDir } = resolvePaths(options);
  const systemd = systemdRunning();
  const existing = readIfExists(unitFile);
  if (existing === null) return { unitFile, removed: false, envFile, systemd };
  if (!existing.startsWith(UNIT_MARKER))
    throw new OpsError(
      "CONFLICT",
      `${unitFile} was not written by clawops service install: left as it is`,
    );
  const manage = systemd && !customDir && !options.writeOnly;
  if (manage) await systemctl(options.scope, ["disable", "--now", UNIT_NAME]);
  rmSync(unitFile);
  if (manage) await systemctl(options.scope, ["daemon-reload"]);
  return { unitFile, removed: true, envFile, systemd };
}

export interface ServiceStatus {
  unitFile: string;
  installed: boolean;
  /** Written by clawops (its marker), and the same as what this clawops would write now. */
  ours: boolean;
  upToDate: boolean;
  systemd: boolean;
  /** From `systemctl show` when systemd runs: ActiveState, SubState, UnitFileState, MainPID. */
  state: Record<string, string> | null;
}

export async function serviceStatus(options: ServiceOptions): Promise<ServiceStatus> {
  const { unitFile } = resolvePaths(options);
  const existing = readIfExists(unitFile);
  const systemd = systemdRunning();
  let state: Record<string, string> | null = null;
  if (systemd && existing !== null) {
    const shown = await systemctl(options.scope, [
      "show",
      UNIT_NAME,
      "--property=ActiveState,SubState,UnitFileState,MainPID",
    ]);
    state = Object.fromEntries(
      shown
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
  }
  return {
    unitFile,
    installed: existing !== null,
    ours: existing?.startsWith(UNIT_MARKER) ?? false,
    upToDate: existing === renderFor(options).text,
    systemd,
    state,
  };
}

async function systemctl(scope: "system" | "user", args: string[]): Promise<string> {
  const argv = scope === "user" ? ["--user", ...args] : args;
  const result = await runProcess("systemctl", argv, { env: process.env, timeoutMs: 60_000 }).catch(
    (error: unknown) => {
      throw new OpsError("UNAVAILABLE", `systemctl could not start: ${errorMessage(error)}`);
    },
  );
  if (result.code !== 0)
    throw new OpsError(
      "UNAVAILABLE",
      `systemctl ${argv.join(" ")} failed: ${result.stderr.trim()}`,
    );
  return result.stdout;
}

/** uid and gid of a user (`getent passwd`), or null when there is none. */
async function lookupUser(name: string): Promise<{ uid: number; gid: number } | null> {
  const result = await runProcess("getent", ["passwd", name], {
    env: process.env,
    timeoutMs: 10_000,
  }).catch(() => null);
  const fields = result?.code === 0 ? result.stdout.split(":") : [];
  return fields.length >= 4 ? { uid: Number(fields[2]), gid: Number(fields[3]) } : null;
}

/** The data dir must exist (ReadWritePaths= of a missing folder fails the start) and be the service user's. */
function prepareDataDir(
  dataDir: string,
  owner: { uid: number; gid: number } | null,
  user: string | null,
  warnings: string[],
): void {
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (owner) chownSync(dataDir, owner.uid, owner.gid);
    return;
  }
  if (owner && statSync(dataDir).uid !== owner.uid)
    warnings.push(`the data dir ${dataDir} is not owned by ${user}: chown -R ${user}: ${dataDir}`);
}

function readIfExists(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
