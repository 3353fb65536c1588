import { statSync } from "node:fs";
import path from "node:path";
import type { Finding } from "../../core/finding.js";
import { secretProviderFiles } from "../../gateway/openclaw-config.js";
import type { DoctorRule } from "../rule.js";

/**
 * Files holding secrets readable by other users leak them; a config others
 * can write lets them run anything the gateway can. Fix: chmod, nothing else.
 */
export const filePermissions: DoctorRule = {
  id: "file-permissions",
  description: "the config, the state dir and the credential store are private to their owner",
  speed: "fast",
  scope: "state",
  check(context) {
    const { configFile, stateDir } = context.target;
    const checks: { file: string; private: number; why: string }[] = [
      { file: configFile, private: 0o600, why: "it holds the gateway token and may hold keys" },
    ];
    for (const { file } of secretProviderFiles(context.config, context.env).values()) {
      checks.push({ file, private: 0o600, why: "a secrets provider reads credentials from it" });
    }
    if (stateDir) {
      checks.push(
        {
          file: stateDir,
          private: 0o700,
          why: "it holds the credential store, sessions and transcripts",
        },
        {
          file: path.join(stateDir, "state", "openclaw.sqlite"),
          private: 0o600,
          why: "it is the credential store",
        },
      );
    }
    const findings: Finding[] = [];
    for (const check of checks) {
      const mode = modeOf(check.file);
      if (mode === null) continue;
      const writable = (mode & 0o022) !== 0;
      const readable = (mode & 0o044) !== 0;
      if (!writable && !readable) continue;
      const octal = (mode & 0o777).toString(8).padStart(3, "0");
      findings.push({
        id: writable ? "file-permissions/writable" : "file-permissions/readable",
        severity: writable ? "error" : "warning",
        path: check.file,
        file: check.file,
        message: `${check.file} is ${writable ? "writable" : "readable"} by ${mode & 0o002 || mode & 0o004 ? "every user" : "its group"} (mode ${octal}); ${check.why}`,
        evidence: { mode: octal },
        fix: {
          kind: "chmod",
          summary: `chmod ${check.private.toString(8)} ${check.file}`,
          file: check.file,
          mode: check.private,
        },
      });
    }
    return findings;
  },
};

function modeOf(file: string): number | null {
  try {
    return statSync(file).mode;
  } catch {
    return null;
  }
}
