import semver from "semver";

/**
 * How well clawops knows an OpenClaw version. Versions are OpenClaw's calendar
 * versions `YYYY.M.D`, valid semver, with an optional pre-release or build
 * suffix (`2026.9.6-beta.1`) that is ignored: a beta of a release counts as
 * that release. What differs between versions is in docs/openclaw-facts.md.
 */

/** The protocol versions this clawops speaks, newest last. */
export const SUPPORTED_PROTOCOLS = { min: 4, max: 4 } as const;

/** Gateway versions clawops's tests run against (the pinned one is last). */
export const TESTED_VERSIONS = ["2026.9.6"] as const;

/** The first version that keeps sessions in SQLite; before it they are JSONL files. */
export const SQLITE_SESSIONS_SINCE = "2026.8.0";

/** Whether a gateway of this version keeps its sessions as JSONL files (read them from disk). */
export function keepsJsonlSessions(version: string): boolean {
  return parseVersion(version) !== null && compareVersions(version, SQLITE_SESSIONS_SINCE) < 0;
}

/** Parses `2026.9.6` (or `v2026.9.6`, `2026.9.6-beta.1`); null when it is not a version. */
export function parseVersion(version: string): semver.SemVer | null {
  return semver.parse(version.trim());
}

/**
 * Negative when a < b, 0 when equal, positive when a > b, on the release
 * (year, month, day) only; throws on a non-version.
 */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) throw new Error(`not an OpenClaw version: ${pa ? b : a}`);
  return pa.compareMain(pb);
}

/** A plain-words verdict on how well clawops knows this gateway version. */
export function versionSupport(version: string): {
  level: "tested" | "older" | "newer" | "unknown";
  note: string;
} {
  if (!parseVersion(version))
    return { level: "unknown", note: `version "${version}" is not a release number` };
  const newest = TESTED_VERSIONS.at(-1)!;
  if (TESTED_VERSIONS.some((v) => compareVersions(v, version) === 0))
    return { level: "tested", note: `clawops is tested against ${version}` };
  return compareVersions(version, newest) > 0
    ? { level: "newer", note: `newer than the tested ${newest}: features are checked, not assumed` }
    : { level: "older", note: `older than the tested ${newest}: legacy layouts apply` };
}
