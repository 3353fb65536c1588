import { lstatSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { type Issue, OpsError } from "../core/errors.js";

export interface ApiPathPolicy {
  /** Folders a bot registered over the API may use (`http.allowedRoots`), absolute. */
  roots: readonly string[];
  /** clawops's data dir: its own files are never a bot's, even inside a root. */
  dataDir: string;
  /** The daemon's uid: every file and folder given must be its own. */
  uid: number;
  /**
   * Registered bots' state dirs: what lies inside one (credentials, sessions,
   * device keys) is that bot's, and a state dir holding one would share it.
   */
  otherStateDirs: readonly string[];
}

/** The roots of `http.allowedRoots`; default: `<dataDir>/bots`, where default state dirs go. */
export function apiPathPolicy(
  config: { dataDir: string; http: { allowedRoots?: readonly string[] | undefined } },
  otherStateDirs: readonly string[] = [],
): ApiPathPolicy {
  return {
    roots: config.http.allowedRoots ?? [path.join(config.dataDir, "bots")],
    dataDir: config.dataDir,
    uid: process.getuid?.() ?? -1,
    otherStateDirs,
  };
}

/**
 * A bot registration that came over the network, made safe to hand to the
 * registry. The daemon later runs the bot's `openclawBin` and reads and
 * serves its files as its own user, so a caller of the API chooses no
 * executable at all (FORBIDDEN naming `openclawBin`: only clawops.yaml and
 * the local CLI set one), and only paths that are absolute, resolve (through
 * every symlink) inside an allowed root and outside clawops's own files, are
 * of the right type (config: a regular file with one link; state dir: a
 * directory), are owned by the daemon's user and lie neither inside nor
 * around another bot's state dir; a path that does not exist yet must have
 * such a folder as its nearest existing parent. Returns the
 * body with the real paths, so that what is registered is what was checked.
 * Anything else about the body (types, names) is the registry's to validate.
 */
export function checkApiBotPaths(body: unknown, policy: ApiPathPolicy): unknown {
  if (!body || typeof body !== "object" || Array.isArray(body)) return body;
  const input = body as Record<string, unknown>;
  if (Object.hasOwn(input, "openclawBin")) {
    const message =
      "openclawBin cannot be set over the API: the executable a bot runs is chosen only in clawops.yaml (openclaw.bin, fleet.bots) or with `clawops bot add --openclaw-bin` on the daemon's host";
    throw new OpsError("FORBIDDEN", message, {
      issues: [{ path: "openclawBin", message, severity: "error" }],
      details: { field: "openclawBin" },
    });
  }
  const roots = policy.roots.map(realPrefix);
  const checked = { ...input };
  const stateDir = input.stateDir;
  if (typeof stateDir === "string")
    checked.stateDir = checkPath("stateDir", stateDir, "directory", roots, policy);
  if (typeof input.configPath === "string") {
    checked.configPath = checkPath("configPath", input.configPath, "file", roots, policy);
  } else if (input.configPath === undefined && typeof checked.stateDir === "string") {
    // The default config inside a given state dir is read and served just the same.
    checkPath("configPath", path.join(checked.stateDir, "openclaw.json"), "file", roots, policy);
  }
  return checked;
}

function checkPath(
  field: string,
  given: string,
  kind: "file" | "directory",
  roots: readonly string[],
  policy: ApiPathPolicy,
): string {
  const refuse = (message: string): never => {
    const issue: Issue = { path: field, message, severity: "error" };
    throw new OpsError("VALIDATION", `invalid bot:\n${field}: ${message}`, {
      issues: [issue],
      details: { field },
    });
  };
  if (given.includes("\0")) refuse("must not contain a NUL byte");
  if (!path.isAbsolute(given))
    refuse(
      "must be an absolute path over the API (a relative one would be resolved against the daemon's working directory)",
    );
  const real = realPrefix(given);
  const inside = (root: string) => real === root || real.startsWith(`${root}${path.sep}`);
  if (!roots.some(inside))
    refuse(
      `${real} is outside the folders the API may register (http.allowedRoots: ${roots.join(", ")})`,
    );
  const dataDir = realPrefix(policy.dataDir);
  if (inside(dataDir) && !inside(path.join(dataDir, "bots")))
    refuse(`${real} is one of clawops's own files (${dataDir}), not a bot's`);
  for (const other of policy.otherStateDirs.map(realPrefix)) {
    if (inside(other) || other.startsWith(`${real}${path.sep}`))
      refuse(`${real} overlaps another bot's state dir (${other})`);
  }

  const stat = statOrNull(real);
  if (!stat && existsAsLink(real)) refuse(`${real} is a symlink to nothing`);
  if (stat) {
    if (kind === "file" && !stat.isFile()) refuse(`${real} is not a regular file`);
    if (kind === "directory" && !stat.isDirectory()) refuse(`${real} is not a directory`);
    // A hard link inside a root could name any file of the daemon's user.
    if (kind === "file" && stat.nlink !== 1) refuse(`${real} has ${stat.nlink} hard links`);
    if (stat.uid !== policy.uid)
      refuse(`${real} is owned by uid ${stat.uid}, not by the daemon's user (uid ${policy.uid})`);
    return real;
  }
  const parent = nearestExisting(real);
  const parentStat = statOrNull(parent);
  if (!parentStat?.isDirectory())
    refuse(`${parent} (the nearest existing parent) is not a directory`);
  if (parentStat && parentStat.uid !== policy.uid)
    refuse(
      `${parent} (the nearest existing parent) is owned by uid ${parentStat.uid}, not by the daemon's user (uid ${policy.uid})`,
    );
  return real;
}

/** `file` with every symlink of its existing part resolved; the part that does not exist is appended as written. */
function realPrefix(file: string): string {
  const absolute = path.resolve(file);
  const existing = nearestExisting(absolute);
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    real = existing;
  }
  return path.join(real, path.relative(existing, absolute));
}

/** The path itself when it exists (even as a dangling symlink), else its nearest existing parent. */
function nearestExisting(absolute: string): string {
  let current = absolute;
  for (;;) {
    try {
      lstatSync(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

function existsAsLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function statOrNull(file: string) {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}
