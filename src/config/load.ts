import { readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { type Issue, OpsError, formatIssues } from "../core/errors.js";
import { toIssues } from "../core/validation.js";
import { type ClawopsConfig, configSchema } from "./schema.js";

/** Environment variables that override a config path. Values are strings; numbers are parsed. */
export const ENV_OVERRIDES: Readonly<
  Record<string, { path: string[]; type: "string" | "number" }>
> = {
  CLAWOPS_DATA_DIR: { path: ["dataDir"], type: "string" },
  CLAWOPS_DATABASE_URL: { path: ["database", "url"], type: "string" },
  CLAWOPS_SQLITE_PATH: { path: ["database", "sqlitePath"], type: "string" },
  CLAWOPS_HTTP_HOST: { path: ["http", "host"], type: "string" },
  CLAWOPS_HTTP_PORT: { path: ["http", "port"], type: "number" },
  CLAWOPS_LOG_LEVEL: { path: ["log", "level"], type: "string" },
  CLAWOPS_REDIS_URL: { path: ["redis", "url"], type: "string" },
  CLAWOPS_HOST_ID: { path: ["host", "id"], type: "string" },
};

/** Variables read elsewhere, so not reported as unknown: the config path; stack traces (cli/output.ts). */
const OTHER_ENV = new Set(["CLAWOPS_CONFIG", "CLAWOPS_DEBUG"]);
/** Vault keys (`vault.keys[].env`): `CLAWOPS_VAULT_KEY`, `CLAWOPS_VAULT_KEY_2026_05`... */
const VAULT_KEY_ENV = /^CLAWOPS_VAULT_KEY(_[A-Z0-9_]+)?$/;

export interface LoadedConfig {
  config: ClawopsConfig;
  /** Absolute path of the file read, or null when none existed and defaults apply. */
  file: string | null;
  /** Non-fatal findings (unknown CLAWOPS_* variables). */
  warnings: Issue[];
}

export interface LoadConfigOptions {
  /** Explicit path (`--config`); else `CLAWOPS_CONFIG`; else `./clawops.yaml`. */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Loads, overrides and validates clawops.yaml. Throws `OpsError("CONFIG_INVALID")`
 * carrying every problem with its path; never a stack trace for bad input.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.path ?? env.CLAWOPS_CONFIG;
  const file = path.resolve(cwd, explicit ?? "clawops.yaml");

  const text = readConfigText(file, explicit !== undefined);
  const parsed = text === null ? {} : parseYaml(file, text);
  const { raw, sources, warnings } = applyEnvOverrides(parsed, env);
  const result = resolveConfig(raw, {
    baseDir: text === null ? cwd : path.dirname(file),
    cwd,
    sources,
  });
  if (!result.ok) {
    throw new OpsError(
      "CONFIG_INVALID",
      `invalid configuration${text === null ? "" : ` in ${file}`}:\n${formatIssues(result.issues)}`,
      { issues: result.issues, details: { file } },
    );
  }
  return { config: result.config, file: text === null ? null : file, warnings };
}

function readConfigText(file: string, required: boolean): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !required) return null;
    const why = code === "ENOENT" ? "file not found" : (error as Error).message;
    throw new OpsError("CONFIG_INVALID", `cannot read config ${file}: ${why}`, {
      issues: [{ path: file, message: why, severity: "error" }],
    });
  }
}

function parseYaml(file: string, text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues: Issue[] = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      const where = at ? `${path.basename(file)}:${at.line}:${at.col}` : path.basename(file);
      const message = (e.message.split("\n")[0] ?? e.message).replace(
        / at line \d+, column \d+:?$/,
        "",
      );
      return { path: where, message, severity: "error" };
    });
    throw new OpsError("CONFIG_INVALID", `invalid YAML in ${file}:\n${formatIssues(issues)}`, {
      issues,
    });
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    const issues: Issue[] = [
      { path: "", message: "expected a mapping of settings", severity: "error" },
    ];
    throw new OpsError("CONFIG_INVALID", `invalid configuration in ${file}: expected a mapping`, {
      issues,
    });
  }
  return value;
}

function applyEnvOverrides(
  parsed: unknown,
  env: NodeJS.ProcessEnv,
): { raw: Record<string, unknown>; sources: Map<string, string>; warnings: Issue[] } {
  const raw = structuredClone(parsed) as Record<string, unknown>;
  const sources = new Map<string, string>();
  const warnings: Issue[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("CLAWOPS_") || value === undefined) continue;
    const override = ENV_OVERRIDES[name];
    if (!override) {
      if (!OTHER_ENV.has(name) && !VAULT_KEY_ENV.test(name) && !name.startsWith("CLAWOPS_TEST_")) {
        warnings.push({
          path: name,
          message: "unknown CLAWOPS_ variable, ignored",
          severity: "warning",
        });
      }
      continue;
    }
    const typed = override.type === "number" && /^\d+$/.test(value.trim()) ? Number(value) : value;
    setPath(raw, override.path, typed);
    sources.set(override.path.join("."), name);
  }
  return { raw, sources, warnings };
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

export type ResolveResult = { ok: true; config: ClawopsConfig } | { ok: false; issues: Issue[] };

/**
 * Validates raw settings and resolves paths (relative to `baseDir`, the config
 * file's folder). Pure: returns issues with their paths, never throws.
 */
export function resolveConfig(
  raw: unknown,
  options: { baseDir: string; cwd?: string; sources?: Map<string, string> },
): ResolveResult {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: toIssues(parsed.error, options.sources) };
  const config = parsed.data;
  // A path from an environment variable is relative to where the command runs.
  const base = (key: string) =>
    options.sources?.has(key) ? (options.cwd ?? options.baseDir) : options.baseDir;
  config.dataDir = path.resolve(base("dataDir"), config.dataDir);
  config.database.sqlitePath = path.resolve(
    base("database.sqlitePath"),
    config.database.sqlitePath ?? path.join(config.dataDir, "clawops.db"),
  );
  // A bare command name is looked up on PATH; anything with a slash is a path.
  for (const key of ["bin", "node"] as const) {
    const value = config.openclaw[key];
    if (value?.includes("/")) config.openclaw[key] = path.resolve(options.baseDir, value);
  }
  if (config.http.allowedRoots)
    config.http.allowedRoots = config.http.allowedRoots.map((root) =>
      path.resolve(options.baseDir, root),
    );
  const tls = config.http.tls;
  if (tls)
    for (const key of ["cert", "key", "ca"] as const) {
      const file = tls[key];
      if (file) tls[key] = path.resolve(options.baseDir, file);
    }
  if (config.backups.dir) config.backups.dir = path.resolve(options.baseDir, config.backups.dir);
  if (config.provision.templateDir)
    config.provision.templateDir = path.resolve(options.baseDir, config.provision.templateDir);
  for (const key of config.vault.keys)
    if (key.file) key.file = path.resolve(options.baseDir, key.file);
  for (const bot of config.fleet.bots) {
    if (bot.stateDir) bot.stateDir = path.resolve(options.baseDir, bot.stateDir);
    if (bot.configPath) bot.configPath = path.resolve(options.baseDir, bot.configPath);
  }
  return { ok: true, config };
}
