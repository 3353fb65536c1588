import { existsSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import type { Finding } from "../../core/finding.js";
import { authProfilesFile, listDirs, listFiles } from "../../gateway/state-files.js";
import type { DoctorRule } from "../rule.js";

/**
 * Files of the JSON era (OpenClaw up to 2026.7) left beside the SQLite stores
 * of 2026.8+. A legacy `auth-profiles.json` blocks its providers
 * (AUTH_PROFILE_MIGRATION_REQUIRED; 2026.9.6 exits 1 at boot when the blocked
 * provider is the primary model's); legacy JSONL sessions
 * are no longer read, so their history is invisible.
 */
export const legacyFiles: DoctorRule = {
  id: "legacy-files",
  description: "no legacy auth-profiles.json or JSONL sessions beside the SQLite stores",
  speed: "fast",
  scope: "state",
  check(context) {
    const stateDir = context.target.stateDir;
    if (!stateDir) return [];
    // Up to 2026.7 the JSON files are the live stores, not leftovers.
    const version = semver.coerce(context.openclawVersion);
    if (version && semver.lt(version, "2026.8.0")) return [];
    const findings: Finding[] = [];
    for (const agent of listDirs(path.join(stateDir, "agents"))) {
      const authFile = authProfilesFile(stateDir, agent);
      if (existsSync(authFile)) {
        findings.push({
          id: "legacy-files/auth-profiles",
          severity: "error",
          path: authFile,
          file: authFile,
          message: `legacy credential file of agent "${agent}": OpenClaw 2026.8+ does not read it and blocks its providers until it is migrated (AUTH_PROFILE_MIGRATION_REQUIRED; the gateway exits 1 at boot when one of them is the primary model's)`,
          evidence: { agent, openclawVersion: context.openclawVersion },
          fix: {
            kind: "manual",
            summary:
              "stop the gateway and run OpenClaw's migration, which imports the keys and archives the file: `clawops doctor --bot <name> --openclaw-fix` (backup and diff of the config)",
            command: "clawops doctor --openclaw-fix",
          },
        });
      }
      const sessionsDir = path.join(stateDir, "agents", agent, "sessions");
      const legacy = listFiles(sessionsDir).filter(
        (f) => f.endsWith(".jsonl") || f === "sessions.json",
      );
      if (legacy.length > 0) {
        findings.push({
          id: "legacy-files/jsonl-sessions",
          severity: "warning",
          path: sessionsDir,
          file: sessionsDir,
          message: `legacy session store of agent "${agent}" (${legacy.length} file(s): sessions.json and JSONL transcripts): OpenClaw 2026.8+ keeps sessions in SQLite and does not show these until they are imported`,
          evidence: { agent, files: legacy.length },
          fix: {
            kind: "manual",
            summary:
              "preview the import with `openclaw doctor --session-sqlite dry-run --json`, then import with `openclaw doctor --fix` (back up the state dir first)",
          },
        });
      }
    }
    return findings;
  },
};
