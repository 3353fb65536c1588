import { randomBytes } from "node:crypto";
import { mkdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
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

/** `file` with symlinks resolved when it exists, else just made absolute: what to compare paths by. */
export function realPath(file: string): string {
  try {
    return realpathSync(resolve(file));
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
