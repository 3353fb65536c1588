/**
 * What `clawops doctor` reports: data, never printed by the rule that found
 * it. `path` is the config path (`gateway.auth.token`, `<root>` for the whole
 * document) or, for a finding about a file, the file.
 */
export type Severity = "error" | "warning" | "info";

export const SEVERITIES: readonly Severity[] = ["error", "warning", "info"];

/** A path inside a JSON document: object keys and array indexes. */
export type JsonPath = readonly (string | number)[];

/** One targeted change to a config file, applied by `doctor --fix` with comments kept. */
export type ConfigEdit =
  | { op: "set"; path: JsonPath; value: unknown }
  /** Copies a value already in the file: a fix that moves a secret never carries it. */
  | { op: "copy"; from: JsonPath; path: JsonPath }
  | { op: "remove"; path: JsonPath };

/**
 * How a finding is fixed. `edit-config` and `chmod` are applied by
 * `doctor --fix`; `manual` is advice for the operator (a command to run).
 */
export type FindingFix =
  | { kind: "edit-config"; summary: string; edits: ConfigEdit[] }
  | { kind: "chmod"; summary: string; file: string; mode: number }
  | { kind: "manual"; summary: string; command?: string };

export interface Finding {
  /** The rule's id, `<rule>` or `<rule>/<detail>`; OpenClaw's own are `openclaw/<checkId>`. */
  id: string;
  severity: Severity;
  path: string;
  message: string;
  /** The file the finding is about, with a 1-based position when the path is in it. */
  file?: string;
  line?: number;
  column?: number;
  /** What the rule saw; never a secret. */
  evidence?: Record<string, unknown>;
  fix?: FindingFix;
}

/** True for a fix that `doctor --fix` applies by itself. */
export function isAutomaticFix(fix: FindingFix | undefined): boolean {
  return fix !== undefined && fix.kind !== "manual";
}

/** Errors first, then warnings, then info; stable within a severity. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity),
  );
}
