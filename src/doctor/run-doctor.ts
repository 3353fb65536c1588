import { readFileSync, statSync } from "node:fs";
import type { Bot } from "../core/bot.js";
import { errorMessage } from "../core/errors.js";
import { type Finding, type Severity, sortFindings } from "../core/finding.js";
import { findTcpListener } from "../system/proc.js";
import { ConfigDocument } from "./config-document.js";
import { type CredentialInventory, inventoryCredentials } from "./credentials.js";
import type { OpenClawFacts, OpenClawLint } from "./openclaw-facts.js";
import type { DoctorContext, DoctorRule, DoctorTarget, RuleScope } from "./rule.js";
import { DOCTOR_RULES } from "./rules/index.js";
import type { SchemaValidator } from "./schema-validator.js";

export interface DoctorInput {
  target: DoctorTarget;
  /** The environment the gateway gets; `OPENCLAW_*` instance variables are added. */
  env: NodeJS.ProcessEnv;
  fleet: readonly Bot[];
  portSpacing: number;
  /** The installed OpenClaw; null when its CLI was not found (rules that need it say so). */
  openclaw: OpenClawFacts | null;
  /** The target bot's running gateway pid, when one runs. */
  runningGatewayPid?: () => number | null;
}

export interface DoctorOptions {
  /** `fast` skips rules that run the openclaw CLI for long (the pre-start gate); default all. */
  speed?: "fast" | "all";
  /** Only rules that judge these (`["config"]`: the verdict on a config file); default every scope. */
  scopes?: readonly RuleScope[];
  /** The rules to choose from; default the registry (tests pass their own). */
  rules?: readonly DoctorRule[];
}

/** The rules a run uses: the registry (or `options.rules`) narrowed by speed and scope, in order. */
export function selectRules(options: DoctorOptions = {}): DoctorRule[] {
  return (options.rules ?? DOCTOR_RULES).filter(
    (rule) =>
      (options.speed !== "fast" || rule.speed === "fast") &&
      (options.scopes === undefined || options.scopes.includes(rule.scope)),
  );
}

export interface DoctorReport {
  configFile: string;
  stateDir: string | null;
  bot: string | null;
  openclawVersion: string | null;
  findings: Finding[];
  counts: Record<Severity, number>;
  rules: string[];
  durationMs: number;
}

/**
 * Checks one gateway's config and state with every registered rule. Never
 * throws for a bad config: a missing file, a syntax error or a rule that
 * crashed are findings too.
 */
export async function runDoctor(
  input: DoctorInput,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const started = performance.now();
  const rules = selectRules(options);
  const findings: Finding[] = [];
  const loaded = loadDocument(input.target.configFile);
  if ("finding" in loaded) findings.push(loaded.finding);
  else {
    const context = buildContext(input, loaded.document);
    for (const rule of rules) {
      try {
        findings.push(...(await rule.check(context)));
      } catch (error) {
        findings.push({
          id: "doctor/rule-failed",
          severity: "warning",
          path: "<root>",
          message: `rule ${rule.id} could not run: ${errorMessage(error)}`,
          evidence: { rule: rule.id },
        });
      }
    }
  }
  const all = sortFindings(mergeDuplicates(findings));
  return {
    configFile: input.target.configFile,
    stateDir: input.target.stateDir,
    bot: input.target.bot?.name ?? null,
    openclawVersion: input.openclaw?.version ?? null,
    findings: groupRepeated(all),
    counts: countBySeverity(all),
    rules: rules.map((r) => r.id),
    durationMs: Math.round(performance.now() - started),
  };
}

/** The environment of one instance: the base plus its state dir and config path. */
export function instanceEnv(target: DoctorTarget, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...base,
    ...(target.stateDir ? { OPENCLAW_STATE_DIR: target.stateDir } : {}),
    OPENCLAW_CONFIG_PATH: target.configFile,
  };
}

/**
 * The largest config the doctor reads. Real ones are a few KB; parsing 8 MB
 * blocks for 2.5 s and takes 600 MB (npm run bench:doctor), which a daemon
 * that watches gateways cannot afford.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Findings of one kind shown in full; the rest of that kind become one summary. */
const SHOWN_PER_KIND = 20;

function loadDocument(file: string): { document: ConfigDocument } | { finding: Finding } {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_CONFIG_BYTES) {
      return {
        finding: {
          id: "config/too-large",
          severity: "error",
          path: "<root>",
          file,
          message: `${file} is ${(size / 1024 / 1024).toFixed(1)} MiB; the doctor reads configs up to ${MAX_CONFIG_BYTES / 1024 / 1024} MiB (a gateway config is a few KB): not checked`,
          evidence: { bytes: size, maxBytes: MAX_CONFIG_BYTES },
          fix: {
            kind: "manual",
            summary: "look for a generated or pasted block that does not belong in openclaw.json",
          },
        },
      };
    }
    text = readFileSync(file, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    return {
      finding: {
        id: missing ? "config/missing" : "config/unreadable",
        severity: "error",
        path: file,
        file,
        message: missing
          ? `${file} does not exist: the gateway refuses to start without a config (exit 78)`
          : `cannot read ${file}: ${errorMessage(error)}`,
        fix: missing
          ? { kind: "manual", summary: "create it with `clawops provision`" }
          : undefined,
      },
    };
  }
  const parsed = ConfigDocument.parse(text);
  if (parsed.ok) return { document: parsed.document };
  return {
    finding: {
      id: "config/syntax",
      severity: "error",
      path: "<root>",
      file,
      ...(parsed.position ?? {}),
      message: parsed.position
        ? `${file}:${parsed.position.line}:${parsed.position.column}: ${parsed.message}`
        : `${file}: ${parsed.message}`,
    },
  };
}

function buildContext(input: DoctorInput, document: ConfigDocument): DoctorContext {
  const env = instanceEnv(input.target, input.env);
  const once = <T>(make: () => Promise<T>) => {
    let value: Promise<T> | undefined;
    return () => (value ??= make());
  };
  const schema = once<SchemaValidator | null>(async () =>
    input.openclaw ? input.openclaw.schema(env) : null,
  );
  const lint = once<OpenClawLint | null>(async () =>
    input.openclaw ? input.openclaw.lint(env) : null,
  );
  const credentials = once<CredentialInventory>(() =>
    inventoryCredentials({ env, openclaw: input.openclaw }),
  );
  return {
    target: input.target,
    document,
    config: document.value,
    env,
    fleet: input.fleet,
    portSpacing: input.portSpacing,
    openclawVersion: input.openclaw?.version ?? null,
    listenerOn: (port) => findTcpListener(port),
    runningGatewayPid: input.runningGatewayPid ?? (() => null),
    schema,
    openclawLint: lint,
    credentials,
  };
}

/**
 * One finding per problem: where a specific rule and the generic schema check
 * (or OpenClaw's own lint) report the same path, the specific one stays and
 * names the others in `evidence.alsoReportedBy`.
 */
function mergeDuplicates(findings: readonly Finding[]): Finding[] {
  const generic = (f: Finding) => f.id.startsWith("schema/") || f.id.startsWith("openclaw/");
  const specific = findings.filter((f) => !generic(f));
  const kept = specific.map((f) => ({ ...f }));
  const out: Finding[] = [...kept];
  for (const finding of findings.filter(generic)) {
    const owner = kept.find((k) => k.path === finding.path && k.path !== "<root>");
    if (!owner) {
      out.push(finding);
      continue;
    }
    const also = (owner.evidence?.alsoReportedBy as string[] | undefined) ?? [];
    owner.evidence = { ...owner.evidence, alsoReportedBy: [...also, finding.id] };
  }
  return out;
}

/**
 * A config with thousands of the same mistake (10,000 duplicate keys) gets the
 * first findings of each kind and one summary of the rest, not a report of
 * megabytes.
 */
function groupRepeated(findings: readonly Finding[]): Finding[] {
  const seen = new Map<string, number>();
  const hidden = new Map<string, Finding[]>();
  const out: Finding[] = [];
  for (const finding of findings) {
    const count = (seen.get(finding.id) ?? 0) + 1;
    seen.set(finding.id, count);
    if (count <= SHOWN_PER_KIND) out.push(finding);
    else hidden.set(finding.id, [...(hidden.get(finding.id) ?? []), finding]);
  }
  for (const [id, rest] of hidden) {
    const first = rest[0]!;
    out.push({
      id,
      severity: first.severity,
      path: "<root>",
      ...(first.file ? { file: first.file } : {}),
      message: `and ${rest.length} more like the above (${id}), e.g. at ${rest
        .slice(0, 3)
        .map((f) => (f.line ? `line ${f.line}` : f.path))
        .join(", ")}`,
      evidence: { grouped: rest.length },
    });
  }
  return out;
}

function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}
