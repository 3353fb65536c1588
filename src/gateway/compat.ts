/**
 * What differs between OpenClaw versions, in one table. The rest of clawops
 * asks `hasFeature(version, "...")` instead of assuming the pinned version's
 * behaviour. Versions are OpenClaw's calendar versions `YYYY.M.D` (with an
 * optional `-suffix`, ignored). Each entry records where the fact comes from.
 */
export const FEATURES = {
  /** Credentials in `$STATE/state/openclaw.sqlite`, written through `models auth paste-api-key`; the JSON file is no longer read. */
  "auth-store-sqlite": { since: "2026.8.0", source: "OPENCLAW.md: Credentials" },
  /** Legacy `agents/<id>/agent/auth-profiles.json` is the credential store. */
  "auth-profiles-json": { since: "0.0.0", until: "2026.8.0", source: "OPENCLAW.md: Credentials" },
  /** Sessions in the per-agent SQLite database; before that, `sessions.json` + JSONL transcripts. */
  "sessions-sqlite": { since: "2026.8.0", source: "OPENCLAW.md: Sessions" },
  "sessions-jsonl": { since: "0.0.0", until: "2026.8.0", source: "OPENCLAW.md: Sessions" },
  /** `/startupz` with version and uptimeMs, `/readyz` with eventLoop figures. */
  "http-startupz": { since: "2026.9.6", source: "observed on 2026.9.6" },
  /** `doctor --lint --json` (read-only findings with checkId). */
  "doctor-lint-json": { since: "2026.9.6", source: "observed on 2026.9.6" },
  /** `chat` events carry `state: "aborted"`. */
  "chat-state-aborted": { since: "2026.9.6", source: "observed on 2026.9.6" },
} as const satisfies Record<string, { since: string; until?: string; source: string }>;

export type Feature = keyof typeof FEATURES;

/** The protocol versions this clawops speaks, newest last. */
export const SUPPORTED_PROTOCOLS = { min: 4, max: 4 } as const;

/** Gateway versions clawops's tests run against (the pinned one is last). */
export const TESTED_VERSIONS = ["2026.9.6"] as const;

/** Parses `2026.9.6` (or `2026.9.6-beta.1`) into comparable parts; null when it is not one. */
export function parseVersion(version: string): [number, number, number] | null {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version.trim());
  if (!match) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Negative when a < b, 0 when equal, positive when a > b; throws on a non-version. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) throw new Error(`not an OpenClaw version: ${pa ? b : a}`);
  for (let i = 0; i < 3; i += 1) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

/**
 * Whether a gateway of `version` has `feature`. An unparsable version is
 * treated as the newest tested one, so an odd build string does not switch
 * clawops to legacy behaviour.
 */
export function hasFeature(version: string, feature: Feature): boolean {
  const known = parseVersion(version) ? version : TESTED_VERSIONS.at(-1)!;
  const entry: { since: string; until?: string } = FEATURES[feature];
  return (
    compareVersions(known, entry.since) >= 0 &&
    (entry.until === undefined || compareVersions(known, entry.until) < 0)
  );
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
