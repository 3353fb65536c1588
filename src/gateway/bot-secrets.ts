import { statSync } from "node:fs";
import JSON5 from "json5";
import { SECRET_NAME, secretsInConfig, secretsInEnv } from "../core/redact.js";
import { readText } from "../system/files.js";
import { gatewayTokenFrom, resolveSecretInput, secretProviderFiles } from "./openclaw-config.js";

/** A secrets file larger than this is not a token file (OpenClaw's own bound is 1 MiB). */
const MAX_SECRET_FILE_BYTES = 1024 * 1024;

export interface BotSecretSources {
  /**
   * The bot's config and its copies (OpenClaw's `.bak` and `.last-good`,
   * clawops's known-good copy): a gateway may still run with a token that the
   * current file no longer holds. Absent or unparsable files are skipped.
   */
  configFiles: readonly string[];
  /** The environment clawops gives the bot's gateway (`gatewayEnv`). */
  env: NodeJS.ProcessEnv;
  /**
   * The names the operator set in `supervisor.env`: any of their values may be
   * a credential under a name clawops cannot recognise, so all of them count,
   * except paths (HOME, TMPDIR, PATH), which would make every log unreadable.
   */
  declared?: readonly string[];
  /** clawops's own environment (notifier tokens, database passwords); default `process.env`. */
  daemonEnv?: NodeJS.ProcessEnv;
}

/** The files OpenClaw itself keeps beside a config, which may hold an older token. */
export function gatewayConfigCopies(configPath: string): string[] {
  return [configPath, `${configPath}.bak`, `${configPath}.last-good`];
}

/**
 * Every secret value a bot's gateway knows and may print: the gateway token,
 * provider keys and every other secret-named field of its configs (written
 * plainly, as `${VAR}`, or as env and file refs, resolved the way the gateway
 * resolves them), the whole content of the files its `secrets.providers`
 * read, secret-named variables of its environment and of clawops's, and the
 * values the operator put in `supervisor.env`. The one place this is decided:
 * the supervisor masks captured gateway output with it, repair its evidence.
 * Never throws: what cannot be read adds nothing.
 */
export function collectBotSecrets(sources: BotSecretSources): string[] {
  const found = new Set<string>();
  const add = (value: string | null | undefined) => {
    if (value) found.add(value);
  };
  const { env } = sources;
  for (const file of sources.configFiles) {
    const config = readConfig(file);
    if (!config) continue;
    add(gatewayTokenFrom(config, env));
    secretsInConfig(config).forEach(add);
    walkSecretFields(config, (raw) => add(resolveSecretInput(raw, config, env)));
    for (const { file: secretFile, mode } of secretProviderFiles(config, env).values())
      secretFileValues(secretFile, mode).forEach(add);
  }
  secretsInEnv(env).forEach(add);
  secretsInEnv(sources.daemonEnv ?? process.env).forEach(add);
  for (const name of sources.declared ?? []) {
    const value = env[name];
    if (value && !isPathLike(value)) add(value);
  }
  return [...found];
}

function readConfig(file: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON5.parse(readText(file));
    return parsed && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Calls `visit` with the raw value of every secret-named field (strings and ref objects). */
function walkSecretFields(value: unknown, visit: (raw: unknown) => void) {
  if (Array.isArray(value)) value.forEach((item) => walkSecretFields(item, visit));
  else if (value && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      if (SECRET_NAME.test(key)) visit(child);
      walkSecretFields(child, visit);
    }
  }
}

/** A `singleValue` file is one secret; a JSON file's every string may be one. */
function secretFileValues(file: string, mode: unknown): string[] {
  let text: string;
  try {
    if (statSync(file).size > MAX_SECRET_FILE_BYTES) return [];
    text = readText(file);
  } catch {
    return [];
  }
  if (mode === "singleValue") return [text.replace(/\r?\n$/, "")];
  const strings: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === "string") strings.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  try {
    walk(JSON.parse(text));
  } catch {
    // Not JSON: OpenClaw cannot read it either, so the gateway never knew its content.
  }
  return strings;
}

/** An absolute path or a PATH-style list of them: never a credential. */
function isPathLike(value: string): boolean {
  return value.split(":").every((part) => part.startsWith("/"));
}
