import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import path from "node:path";
import type { ClawopsConfig } from "../config/schema.js";
import type { Bot } from "../core/bot.js";
import { OpsError, errorMessage } from "../core/errors.js";
import { CLAWOPS_VERSION } from "../core/version.js";
import { redactDatabaseUrl } from "../store/postgres.js";
import { writeFileAtomic } from "../system/files.js";
import { copySqliteOnline, isSqliteHeader, pgDump } from "./databases.js";
import {
  type BackupFileEntry,
  type BackupManifest,
  MANIFEST_FILE,
  backupFolderName,
  hashFile,
} from "./manifest.js";

export interface CreateBackupOptions {
  config: ClawopsConfig;
  /** clawops.yaml as loaded (null when defaults applied): copied into the backup. */
  configFile: string | null;
  /** The registry's bots: each one's config and state dir are copied. */
  bots: readonly Bot[];
  /** The folder that receives the backup's own folder (created when missing). */
  destDir: string;
  origin: "manual" | "scheduled";
  /** Called as each step starts (`store`, `bot alpha`...): progress for long work. */
  progress?: (step: string) => void;
  /** Plain files above this size in a state dir are left out (listed as skipped). Default 64 MiB. */
  maxPlainFileBytes?: number;
  now?: () => Date;
}

export interface BackupResult {
  /** The finished backup's folder. */
  dir: string;
  manifest: BackupManifest;
}

/** Folders of a state dir that hold nothing to restore: locks, temp files, rotated logs, caches. */
const SKIPPED_DIRS = new Set(["tmp", "logs", "node_modules", ".cache", "cache"]);
/** SQLite's side files are part of their database, copied through it; locks belong to a live process. */
const SKIPPED_FILE = /(-wal|-shm|-journal|\.lock|\.tmp)$/;

/**
 * Takes an online backup: the store (SQLite through its backup API, or
 * pg_dump), clawops.yaml, clawops's known-good configs, and per bot its config
 * and the files of its state dir (every SQLite database through the backup
 * API from a read-only connection, other small files copied). Everything is
 * written into a `.partial` folder that is renamed when complete, so a failed
 * backup leaves nothing that looks like one. Throws an `OpsError`; the partial
 * folder is removed.
 */
export async function createBackup(options: CreateBackupOptions): Promise<BackupResult> {
  const started = Date.now();
  const at = (options.now ?? (() => new Date()))();
  const name = backupFolderName(at);
  const destDir = path.resolve(options.destDir);
  const final = path.join(destDir, name);
  const temp = path.join(destDir, `.${name}.partial`);
  if (existsSync(final)) throw new OpsError("CONFLICT", `${final} already exists`);
  mkdirSync(destDir, { recursive: true, mode: 0o700 });
  mkdirSync(temp, { mode: 0o700 });
  try {
    // A backup folder inside a state dir must not copy itself (nor older backups there).
    const writer = new BackupWriter(temp, options.maxPlainFileBytes ?? 64 * 1024 * 1024, destDir);
    const { config } = options;
    options.progress?.("store");
    const storeKind = config.database.url ? "postgres" : "sqlite";
    const storeFile = storeKind === "postgres" ? "store/clawops.pgdump" : "store/clawops.db";
    mkdirSync(path.join(temp, "store"), { mode: 0o700 });
    if (config.database.url) await pgDump(config.database.url, path.join(temp, storeFile));
    else await copySqliteOnline(config.database.sqlitePath!, path.join(temp, storeFile));
    await writer.record(
      storeFile,
      "store",
      config.database.url ? undefined : config.database.sqlitePath,
    );

    options.progress?.("clawops config");
    if (options.configFile)
      await writer.copyPlain(options.configFile, "clawops/clawops.yaml", "clawops-config");
    const knownGood = path.join(config.dataDir, "known-good");
    for (const entry of listDir(knownGood)) {
      if (entry.isFile())
        await writer.copyPlain(
          path.join(knownGood, entry.name),
          `clawops/known-good/${entry.name}`,
          "known-good",
        );
    }

    const bots: BackupManifest["bots"] = [];
    for (const bot of options.bots) {
      options.progress?.(`bot ${bot.name}`);
      const dir = `bots/${bot.name}`;
      bots.push({
        name: bot.name,
        id: bot.id,
        stateDir: bot.stateDir,
        configPath: bot.configPath,
        dir,
      });
      if (existsSync(bot.configPath))
        await writer.copyPlain(
          bot.configPath,
          `${dir}/config/${path.basename(bot.configPath)}`,
          "bot-config",
          bot.name,
        );
      else writer.skip(bot.configPath, "the bot's config does not exist");
      await writer.copyStateDir(bot, `${dir}/state`);
    }

    const manifest: BackupManifest = {
      format: "clawops-backup",
      formatVersion: 1,
      createdAt: at.toISOString(),
      clawopsVersion: CLAWOPS_VERSION,
      origin: options.origin,
      durationMs: Date.now() - started,
      store: {
        kind: storeKind,
        file: storeFile,
        location: config.database.url
          ? redactDatabaseUrl(config.database.url)
          : config.database.sqlitePath!,
      },
      bots,
      files: writer.files,
      skipped: writer.skipped,
    };
    writeFileAtomic(
      path.join(temp, MANIFEST_FILE),
      `${JSON.stringify(manifest, null, 2)}\n`,
      0o600,
    );
    renameSync(temp, final);
    return { dir: final, manifest };
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error instanceof OpsError
      ? error
      : new OpsError("INTERNAL", `backup failed: ${errorMessage(error)}`, { cause: error });
  }
}

/** Copies files into the backup's folder and records each with its checksum. */
class BackupWriter {
  readonly files: BackupFileEntry[] = [];
  readonly skipped: { path: string; reason: string }[] = [];

  constructor(
    private readonly root: string,
    private readonly maxPlainBytes: number,
    private readonly destDir: string,
  ) {}

  skip(file: string, reason: string): void {
    this.skipped.push({ path: file, reason });
  }

  async record(rel: string, kind: BackupFileEntry["kind"], source?: string, bot?: string) {
    const { sha256, bytes } = await hashFile(path.join(this.root, rel));
    this.files.push({
      path: rel,
      kind,
      bytes,
      sha256,
      ...(source ? { source } : {}),
      ...(bot ? { bot } : {}),
    });
  }

  async copyPlain(source: string, rel: string, kind: BackupFileEntry["kind"], bot?: string) {
    const dest = path.join(this.root, rel);
    mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
    copyFileSync(source, dest);
    await this.record(rel, kind, source, bot);
  }

  /** Every SQLite database of the state dir through the backup API; other regular files copied. */
  async copyStateDir(bot: Bot, relRoot: string): Promise<void> {
    const walk = async (dir: string, rel: string): Promise<void> => {
      for (const entry of listDir(dir)) {
        const full = path.join(dir, entry.name);
        const relPath = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (path.resolve(full) === this.destDir) this.skip(full, "the backups' own folder");
          else if (!SKIPPED_DIRS.has(entry.name)) await walk(full, relPath);
          continue;
        }
        if (!entry.isFile()) {
          if (!entry.isSymbolicLink()) continue;
          this.skip(full, "a symbolic link");
          continue;
        }
        if (SKIPPED_FILE.test(entry.name) || path.resolve(full) === path.resolve(bot.configPath))
          continue;
        const dest = `${relRoot}/${relPath}`;
        try {
          if (isSqliteFile(full)) {
            mkdirSync(path.dirname(path.join(this.root, dest)), { recursive: true, mode: 0o700 });
            await copySqliteOnline(full, path.join(this.root, dest));
            await this.record(dest, "sqlite", full, bot.name);
          } else if (statSync(full).size > this.maxPlainBytes) {
            this.skip(full, `larger than ${this.maxPlainBytes} bytes`);
          } else {
            await this.copyPlain(full, dest, "file", bot.name);
          }
        } catch (error) {
          // A file that vanished while the gateway ran (a temp file) is not an error.
          if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
          throw new OpsError("INTERNAL", `cannot back up ${full}: ${errorMessage(error)}`, {
            cause: error,
          });
        }
      }
    };
    if (!existsSync(bot.stateDir)) {
      this.skip(bot.stateDir, "the bot's state dir does not exist");
      return;
    }
    await walk(bot.stateDir, "");
  }
}

function listDir(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

function isSqliteFile(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(16);
    return readSync(fd, head, 0, 16, 0) === 16 && isSqliteHeader(head);
  } finally {
    closeSync(fd);
  }
}
