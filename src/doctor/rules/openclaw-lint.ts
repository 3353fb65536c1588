import type { Finding, Severity } from "../../core/finding.js";
import type { OpenClawLint } from "../openclaw-facts.js";
import { type DoctorRule, asRecord } from "../rule.js";

/**
 * OpenClaw's own read-only doctor (`openclaw doctor --lint --json`, ~9 s),
 * merged: each finding attributed as `openclaw/<checkId>`; one that repeats a
 * clawops finding on the same path is folded into it by the runner.
 */
export const openclawLint: DoctorRule = {
  id: "openclaw",
  description: "OpenClaw's own `doctor --lint` findings",
  speed: "slow",
  scope: "openclaw",
  async check(context) {
    const lint = await context.openclawLint();
    if (!lint) {
      return [
        {
          id: "openclaw/unchecked",
          severity: "info",
          path: "<root>",
          message: "OpenClaw's own lint did not run: the openclaw CLI was not found",
        },
      ];
    }
    const heartbeatsOff = heartbeatsDisabled(context.config);
    return lint.findings
      .filter((f) => !(heartbeatsOff && f.checkId === HEARTBEAT_MIGRATION))
      .flatMap(splitByPath)
      .map((f): Finding => ({
        id: `openclaw/${f.checkId}`,
        severity: EXPECTED_UNDER_CLAWOPS.has(f.checkId) ? "info" : toSeverity(f.severity),
        path: findingPath(f.path, f.message),
        file: context.target.configFile,
        message: f.message,
        evidence: { source: "openclaw doctor --lint" },
        ...(f.fixHint ? { fix: { kind: "manual" as const, summary: f.fixHint } } : {}),
      }));
  },
};

type LintFinding = OpenClawLint["findings"][number];

/**
 * Gives each lint finding the config path it is about, so that it lines up
 * with ours: `requirement: "gateway.bind_no_auth"` is about gateway.bind, and
 * the plaintext-secrets finding lists its paths in its hint (one finding each).
 */
function splitByPath(finding: LintFinding): LintFinding[] {
  const listed = /^Paths: (.+)$/m.exec(finding.fixHint ?? "");
  if (listed && finding.requirement === "config.plaintext_secrets")
    return listed[1]!.split(/,\s*/).map((p) => ({ ...finding, path: p.trim() }));
  const requirement = /^((?:gateway|models|channels)\.[A-Za-z]+)_/.exec(finding.requirement ?? "");
  if ((!finding.path || finding.path === "<root>") && requirement)
    return [{ ...finding, path: requirement[1]! }];
  return [finding];
}

const HEARTBEAT_MIGRATION = "core/doctor/heartbeat-cadence-migration";

/** `agents.defaults.heartbeat.every` of "0m" (or any zero duration) turns heartbeats off. */
function heartbeatsDisabled(config: Record<string, unknown>): boolean {
  const every = asRecord(asRecord(asRecord(config.agents)?.defaults)?.heartbeat)?.every;
  return typeof every === "string" && /^0+(ms|s|m|h|d)?$/.test(every.trim());
}

/**
 * Lint warnings that hold for every gateway clawops runs, whatever its config:
 * it binds loopback by design (node-hosting-preconditions), and 2026.9.6
 * proposes a heartbeat cron job even with heartbeats off. Kept, as info; the
 * heartbeat one is dropped when the config turns heartbeats off.
 */
const EXPECTED_UNDER_CLAWOPS = new Set([
  "core/doctor/node-hosting-preconditions",
  HEARTBEAT_MIGRATION,
]);

/** OpenClaw names an unknown key's parent; the key's own path lines it up with ours. */
function findingPath(parent: string | undefined, message: string): string {
  const unknown = /^Unrecognized key: "(.+)"$/.exec(message);
  if (!unknown) return parent ?? "<root>";
  return !parent || parent === "<root>" ? unknown[1]! : `${parent}.${unknown[1]!}`;
}

function toSeverity(severity: string): Severity {
  if (severity === "error" || severity === "critical" || severity === "fatal") return "error";
  if (severity === "warning" || severity === "warn") return "warning";
  return "info";
}
