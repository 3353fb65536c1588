import { randomBytes } from "node:crypto";
import { mkdirSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

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
