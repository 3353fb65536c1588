import JSON5 from "json5";
import { OpsError, errorMessage } from "../core/errors.js";
import { readText } from "../system/files.js";

/**
 * Reads a gateway's openclaw.json (JSON5, as OpenClaw accepts it). A missing
 * or unparsable file is a CONFIG_INVALID error naming the file and, for a
 * syntax error, the line and column.
 */
export function readOpenClawConfig(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readText(path);
  } catch (error) {
    throw new OpsError(
      "CONFIG_INVALID",
      `cannot read gateway config ${path}: ${errorMessage(error)}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON5.parse(text);
  } catch (error) {
    const { lineNumber, columnNumber } = error as { lineNumber?: number; columnNumber?: number };
    const at = lineNumber ? `:${lineNumber}:${columnNumber ?? 1}` : "";
    throw new OpsError("CONFIG_INVALID", `${path}${at}: not valid JSON5: ${json5Problem(error)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new OpsError("CONFIG_INVALID", `${path}: expected a JSON object at the top level`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * json5's message without the character it quotes (`invalid character 'r'`):
 * the file may not be a gateway config at all (a path pointed at
 * /etc/shadow), and its content must not travel in an error, a check's
 * reason or an API answer. The line and column stay.
 */
export function json5Problem(error: unknown): string {
  return errorMessage(error)
    .replace(/^JSON5: /, "")
    .replace(/ \(\d+:\d+\)$/, "")
    .replace(/ '(?:\\.|[^'\\])*'/g, "");
}

/**
 * The shared token a gateway's config sets (`gateway.auth.token`), resolved
 * as OpenClaw does (see `resolveSecretInput`). Null when the config sets none
 * or it cannot be resolved here.
 */
export function gatewayTokenFrom(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const gateway = config.gateway as { auth?: { token?: unknown } } | undefined;
  return resolveSecretInput(gateway?.auth?.token, config, env);
}

/** The variable a `${VAR}` or `$VAR` string names (OpenClaw substitutes upper-case names only); else null. */
export function envReference(value: string): string | null {
  const match = /^\$(?:\{([A-Z_][A-Z0-9_]*)\}|([A-Z_][A-Z0-9_]*))$/.exec(value);
  return match ? (match[1] ?? match[2])! : null;
}

/** The files the config's `secrets.providers.<name>` of source "file" read, `~` expanded. */
export function secretProviderFiles(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Map<string, { file: string; mode: unknown }> {
  const providers = (config.secrets as { providers?: Record<string, unknown> } | undefined)
    ?.providers;
  const files = new Map<string, { file: string; mode: unknown }>();
  for (const [name, entry] of Object.entries(providers ?? {})) {
    const provider = entry as { source?: unknown; path?: unknown; mode?: unknown } | null;
    if (provider?.source !== "file" || typeof provider.path !== "string") continue;
    files.set(name, {
      file: provider.path.replace(/^~(?=$|\/)/, env.HOME ?? "~"),
      mode: provider.mode,
    });
  }
  return files;
}

/**
 * The value of a SecretInput field: a plain string, `${VAR}` or `$VAR`
 * (upper-case names), an env ref `{source:"env", id}`, or a file ref
 * `{source:"file", provider, id}` whose provider (`secrets.providers.<name>`)
 * reads a `singleValue` file or a JSON file by pointer. Null when absent or
 * not resolvable here (exec and store refs, a missing variable or file).
 */
export function resolveSecretInput(
  raw: unknown,
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  if (typeof raw === "string") {
    if (raw === "") return null;
    const variable = envReference(raw);
    return variable ? env[variable] || null : raw;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const ref = raw as { source?: unknown; provider?: unknown; id?: unknown };
  if (ref.source === "env" && typeof ref.id === "string") return env[ref.id] || null;
  if (ref.source !== "file" || typeof ref.provider !== "string" || typeof ref.id !== "string")
    return null;
  const provider = secretProviderFiles(config, env).get(ref.provider);
  if (!provider) return null;
  let text: string;
  try {
    text = readText(provider.file);
  } catch {
    return null;
  }
  if (provider.mode === "singleValue") return text.replace(/\r?\n$/, "") || null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  for (const key of jsonPointerKeys(ref.id))
    value = (value as Record<string, unknown> | null)?.[key];
  return typeof value === "string" && value !== "" ? value : null;
}

/** The keys of an absolute JSON pointer (RFC 6901: `~1` is `/`, `~0` is `~`), as OpenClaw reads a file ref's id. */
export function jsonPointerKeys(pointer: string): string[] {
  return pointer
    .split("/")
    .slice(1)
    .map((key) => key.replace(/~1/g, "/").replace(/~0/g, "~"));
}
