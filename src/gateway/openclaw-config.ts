import { readFileSync } from "node:fs";
import JSON5 from "json5";
import { OpsError, errorMessage } from "../core/errors.js";

/**
 * Reads a gateway's openclaw.json (JSON5, as OpenClaw accepts it). A missing
 * or unparsable file is a CONFIG_INVALID error naming the file and, for a
 * syntax error, the line and column.
 */
export function readOpenClawConfig(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
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
    throw new OpsError("CONFIG_INVALID", `${path}${at}: not valid JSON5: ${errorMessage(error)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new OpsError("CONFIG_INVALID", `${path}: expected a JSON object at the top level`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * The shared token a gateway's config sets (`gateway.auth.token`), with an
 * `${ENV_VAR}` reference resolved from `env` as OpenClaw does. Null when the
 * config sets none (token auth off, or a secret ref clawops cannot resolve).
 */
export function gatewayTokenFrom(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const gateway = config.gateway as { auth?: { token?: unknown } } | undefined;
  const token = gateway?.auth?.token;
  if (typeof token !== "string" || token === "") return null;
  const reference = /^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(token);
  if (reference) return env[reference[1]!] || null;
  return token;
}
