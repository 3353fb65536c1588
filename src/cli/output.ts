import { CommanderError } from "commander";
import { type OpsErrorCode, errorMessage, formatIssues, isOpsError } from "../core/errors.js";
import { asStoreError } from "../store/errors.js";

/** Exit codes, documented in the README: 0 ok, 1 failure, 2 usage or configuration error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const USAGE_CODES: ReadonlySet<OpsErrorCode> = new Set([
  "CONFIG_INVALID",
  "USAGE",
  "VALIDATION",
  "STORE_UNREACHABLE",
  // The vault's keys are configuration; a tampered record is a failure (exit 1).
  "VAULT_KEY_MISSING",
  "VAULT_KEY_INVALID",
  "VAULT_KEY_UNKNOWN",
  "VAULT_KEY_WRONG",
]);

export interface OutputOptions {
  json?: boolean;
}

/** Prints a command's result: JSON (one document) or the human rendering. */
export function emit<T>(options: OutputOptions, value: T, human: (value: T) => string): void {
  if (options.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else {
    const text = human(value);
    if (text) process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }
}

/** Prints an error the way the CLI shows every error and returns its exit code. */
export function reportError(raw: unknown, options: OutputOptions): number {
  if (raw instanceof CommanderError) return raw.exitCode === 0 ? EXIT.ok : EXIT.usage;
  // A full disk under the store is the operator's to fix, not an internal error.
  const error = asStoreError(raw);
  const exitCode = isOpsError(error)
    ? USAGE_CODES.has(error.code)
      ? EXIT.usage
      : EXIT.failure
    : EXIT.failure;
  if (options.json) {
    const body = isOpsError(error)
      ? {
          error: {
            code: error.code,
            message: error.message,
            ...(error.issues.length > 0 ? { issues: error.issues } : {}),
            ...(Object.keys(error.details).length > 0 ? { details: error.details } : {}),
          },
        }
      : { error: { code: "INTERNAL", message: errorMessage(error) } };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return exitCode;
  }
  if (isOpsError(error)) {
    // Issues are already listed in the message for config and validation errors.
    const extra =
      error.issues.length > 0 && !error.message.includes(error.issues[0]!.message)
        ? `\n${formatIssues(error.issues)}`
        : "";
    process.stderr.write(`clawops: ${error.message}${extra}\n`);
  } else {
    process.stderr.write(`clawops: internal error: ${errorMessage(error)}\n`);
    if (process.env.CLAWOPS_DEBUG && error instanceof Error)
      process.stderr.write(`${error.stack}\n`);
  }
  return exitCode;
}

/** Renders rows as an aligned text table with a header. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}
