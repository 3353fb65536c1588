import { randomBytes } from "node:crypto";
import {
  type PathLike,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";

/**
 * Writes `data` to a temp file beside `path`, then renames it over `path`, so a
 * reader sees the old content or the new one and never half a file. The temp
 * file is removed when the write fails. `mode` applies to the new file (0o600
 * for anything holding a secret).
 */
export function writeFileAtomic(path: string, data: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(temp, data, { mode, flag: "wx" });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * `readFileSync(file, "utf8")`, read with an options object: given the encoding as a string,
 * Node 20 copies its default options with an object spread and adds the encoding, and V8
 * makes fresh hidden classes for that copy on every call, which only a full GC frees. The
 * supervisor reads /proc files for every gateway every few seconds. Throws as readFileSync.
 */
export function readText(file: PathLike | number): string {
  return readFileSync(file, { encoding: "utf8" });
}

/**
 * `file` with symlinks resolved when it exists, else just made absolute: what to compare paths by.
 * The kernel's realpath (one call, relative to the working directory like `resolve`), not
 * Node's walk of every path component in JavaScript: the daemon compares every bot's paths
 * with every other's as a fleet starts.
 */
export function realPath(file: string): string {
  try {
    return realpathSync.native(file);
  } catch {
    return resolve(file);
  }
}

/** Every file called `name` in the folders of `env.PATH`, in PATH order. */
export function allOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.PATH ?? "")
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .filter((file) => {
      try {
        return statSync(file).isFile();
      } catch {
        return false;
      }
    });
}

/** The first file called `name` on `env.PATH`, or null. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  return allOnPath(name, env)[0] ?? null;
}
