import { createHash } from "node:crypto";
import { createReadStream, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { OpsError, errorMessage } from "../core/errors.js";

/** The file in every backup's folder that lists what it holds. */
export const MANIFEST_FILE = "manifest.json";
/** A finished backup's folder name: `clawops-backup-<UTC time>`; unfinished ones end `.partial`. */
export const BACKUP_PREFIX = "clawops-backup-";

export const FILE_KINDS = [
  "store",
  "clawops-config",
  "known-good",
  "bot-config",
  "sqlite",
  "file",
] as const;

const fileEntrySchema = z.strictObject({
  /** Relative to the backup's folder, `/`-separated. */
  path: z.string().min(1),
  kind: z.enum(FILE_KINDS),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Where it came from (absolute), for the operator; restore never writes there. */
  source: z.string().optional(),
  /** The bot it belongs to, for bot files. */
  bot: z.string().optional(),
});

export const manifestSchema = z.strictObject({
  format: z.literal("clawops-backup"),
  formatVersion: z.literal(1),
  createdAt: z.string(),
  clawopsVersion: z.string(),
  /** `manual` (clawops backup) or `scheduled` (the daemon's loop): retention only deletes its own. */
  origin: z.enum(["manual", "scheduled"]),
  durationMs: z.number().min(0),
  store: z.strictObject({
    kind: z.enum(["sqlite", "postgres"]),
    /** The store's file in the backup (SQLite database, or pg_dump's custom format). */
    file: z.string(),
    /** Where the store was (its path, or the URL without its password). */
    location: z.string(),
  }),
  bots: z.array(
    z.strictObject({
      name: z.string(),
      id: z.string(),
      stateDir: z.string(),
      configPath: z.string(),
      /** The bot's folder in the backup (`bots/<name>`). */
      dir: z.string(),
    }),
  ),
  files: z.array(fileEntrySchema),
  /** Files left out, with why (too large, not a regular file, unreadable). */
  skipped: z.array(z.strictObject({ path: z.string(), reason: z.string() })),
});

export type BackupManifest = z.output<typeof manifestSchema>;
export type BackupFileEntry = z.output<typeof fileEntrySchema>;

/** sha256 hex and size of a file, streamed (a store may be gigabytes). */
export async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** Reads and validates a backup's manifest. Throws `VALIDATION` naming the folder when it is missing or malformed. */
export function readManifest(backupDir: string): BackupManifest {
  const file = path.join(backupDir, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new OpsError(
      "VALIDATION",
      `${backupDir} is not a clawops backup: ${errorMessage(error)}`,
      {
        details: { file },
      },
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new OpsError("VALIDATION", `${file} is not a valid clawops backup manifest`, {
      issues: parsed.error.issues.map((i) => ({
        path: i.path.join("."),
        message: i.message,
        severity: "error" as const,
      })),
    });
  }
  return parsed.data;
}

export interface VerifyProblem {
  path: string;
  problem: string;
}

/**
 * Checks every file the manifest lists: present, same size, same sha256. Also
 * refuses paths that would leave the backup's folder. Returns the problems (none: intact).
 */
export async function verifyBackupFiles(
  backupDir: string,
  manifest: BackupManifest,
): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  const root = path.resolve(backupDir);
  for (const entry of manifest.files) {
    const full = path.resolve(root, entry.path);
    if (!full.startsWith(`${root}${path.sep}`)) {
      problems.push({ path: entry.path, problem: "path leaves the backup's folder" });
      continue;
    }
    try {
      if (!statSync(full).isFile()) {
        problems.push({ path: entry.path, problem: "not a regular file" });
        continue;
      }
      const { sha256, bytes } = await hashFile(full);
      if (bytes !== entry.bytes)
        problems.push({ path: entry.path, problem: `size ${bytes}, expected ${entry.bytes}` });
      else if (sha256 !== entry.sha256)
        problems.push({ path: entry.path, problem: "sha256 does not match the manifest" });
    } catch (error) {
      problems.push({ path: entry.path, problem: errorMessage(error) });
    }
  }
  return problems;
}

/** Folder name for a backup made at `at`: sortable, no characters a shell or Windows dislikes. */
export function backupFolderName(at: Date): string {
  return `${BACKUP_PREFIX}${at.toISOString().replace(/[:.]/g, "-")}`;
}
