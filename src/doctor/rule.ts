import type { Bot } from "../core/bot.js";
import type { Finding, FindingFix, JsonPath, Severity } from "../core/finding.js";
import type { Listener } from "../system/proc.js";
import { type ConfigDocument, formatJsonPath, isRecord } from "./config-document.js";
import type { CredentialInventory } from "./credentials.js";
import type { OpenClawLint } from "./openclaw-facts.js";
import type { SchemaValidator } from "./schema-validator.js";

/**
 * What a rule judges, which decides who asks for it:
 * - `config`: the config file as the gateway would read it (its environment, the
 *   installed OpenClaw's schema): the verdict on a file, also on a copy that is
 *   not in place yet (repair's known-good configs);
 * - `state`: the instance's state dir and credential store (files, keys, permissions);
 * - `fleet`: the bot among the other registered bots and the host's ports;
 * - `openclaw`: OpenClaw's own checks of the instance, through its CLI.
 */
export const RULE_SCOPES = ["config", "state", "fleet", "openclaw"] as const;
export type RuleScope = (typeof RULE_SCOPES)[number];

/**
 * A doctor rule: one concern, one file under rules/, registered in
 * rules/index.ts. `check` returns findings and never prints; a rule that
 * throws becomes a `doctor/rule-failed` finding, never a silent pass.
 */
export interface DoctorRule {
  id: string;
  /** One line for `clawops doctor --rules` and the docs. */
  description: string;
  /** `fast` rules run before every start; `slow` ones (they run the openclaw CLI) only on demand. */
  speed: "fast" | "slow";
  /** What it judges: callers pick rules by scope (`runDoctor`'s `scopes`), never by a list. */
  scope: RuleScope;
  check(context: DoctorContext): Promise<Finding[]> | Finding[];
}

/** What is being checked: one gateway's config and state, maybe a registered bot. */
export interface DoctorTarget {
  configFile: string;
  /** The gateway's OPENCLAW_STATE_DIR; null when unknown (a bare `--config`). */
  stateDir: string | null;
  /** The registered bot, when the target is one. */
  bot: Bot | null;
}

export interface DoctorContext {
  target: DoctorTarget;
  document: ConfigDocument;
  config: Record<string, unknown>;
  /** The environment the gateway runs with (where `${VAR}` references and provider keys come from). */
  env: NodeJS.ProcessEnv;
  /** Every registered bot, the target among them. */
  fleet: readonly Bot[];
  /** clawops.yaml `fleet.portSpacing`: the ports above a gateway's own that it may derive. */
  portSpacing: number;
  /** The port's listener now, or null. */
  listenerOn(port: number): Listener | null;
  /** The pid of the target bot's own gateway when one runs (found by its lock or port). */
  runningGatewayPid(): number | null;
  /** The installed OpenClaw's version; null when its CLI was not found. */
  openclawVersion: string | null;
  /** The installed OpenClaw's config schema; null when the CLI is not available. */
  schema(): Promise<SchemaValidator | null>;
  /** Which providers have a credential, and from where. */
  credentials(): Promise<CredentialInventory>;
  /** `openclaw doctor --lint --json`; null when the CLI is not available. */
  openclawLint(): Promise<OpenClawLint | null>;
}

/** Builds a finding about a config path, with the file, line and column filled in. */
export function configFinding(
  context: Pick<DoctorContext, "document" | "target">,
  path: JsonPath,
  finding: {
    id: string;
    severity: Severity;
    message: string;
    evidence?: Record<string, unknown>;
    fix?: FindingFix;
  },
): Finding {
  const position = context.document.locate(path);
  return {
    ...finding,
    path: formatJsonPath(path),
    file: context.target.configFile,
    line: position.line,
    column: position.column,
  };
}

/** Narrows an unknown config value to a plain object. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}
