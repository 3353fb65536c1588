import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { BACKUP_PREFIX, type BackupManifest, readManifest } from "./manifest.js";

/** A finished backup found in a folder, as retention sees it. */
export interface FoundBackup {
  /** Its folder's path. */
  dir: string;
  createdAt: string;
  origin: BackupManifest["origin"];
}

/**
 * The backups retention deletes: those the schedule made (`origin:
 * "scheduled"`, read from their manifests) beyond the newest `keep`. Manual
 * backups are never chosen. Pure.
 */
export function resolveExpired(backups: readonly FoundBackup[], keep: number): FoundBackup[] {
  const scheduled = backups
    .filter((b) => b.origin === "scheduled")
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  return scheduled.slice(Math.max(0, keep));
}

/**
 * The finished backups in `dir` (folders named `clawops-backup-*` with a valid
 * manifest), newest first. A folder without a readable manifest is not listed
 * (so never deleted): it is not known to be clawops's.
 */
export function listBackups(dir: string): FoundBackup[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const found: FoundBackup[] = [];
  for (const name of names) {
    if (!name.startsWith(BACKUP_PREFIX)) continue;
    const full = path.join(dir, name);
    try {
      const manifest = readManifest(full);
      found.push({ dir: full, createdAt: manifest.createdAt, origin: manifest.origin });
    } catch {
      // Not a backup this clawops can read: left alone.
    }
  }
  return found.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/** Deletes the scheduled backups beyond `keep` in `dir`; returns what it deleted. */
export function pruneScheduledBackups(dir: string, keep: number): FoundBackup[] {
  const expired = resolveExpired(listBackups(dir), keep);
  for (const backup of expired) rmSync(backup.dir, { recursive: true, force: true });
  return expired;
}
