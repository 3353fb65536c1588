import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  chmodSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
} from "node:fs";
import path from "node:path";
import { OpsError } from "../core/errors.js";
import { pgRestore, pgUserTables, sqliteIntegrity } from "./databases.js";
import {
  type BackupFileEntry,
  type BackupManifest,
  readManifest,
  verifyBackupFiles,
} from "./manifest.js";

export interface RestoreOptions {
  /** The backup's folder (the one holding manifest.json). */
  from: string;
  /** A fresh data dir: absent or empty. */
  dataDir: string;
  /** Where the bots' files go (`<botsDir>/<bot>/config/...`, `.../state/...`): absent or empty. */
  botsDir?: string;
  /** PostgreSQL backups: the empty database to restore into. */
  databaseUrl?: string;
  progress?: (step: string) => void;
  /** The live clawops daemon holding a folder (its lock, daemon/lock.ts), or null. */
  liveDaemon?: (dir: string) => { pid: number } | null;
}

export interface RestoreResult {
  from: string;
  createdAt: string;
  dataDir: string;
  store: { kind: "sqlite" | "postgres"; file?: string; database?: string };
  /** Files checked against their sha256 before anything was written. */
  verified: number;
  bots: { name: string; configPath: string | null; stateDir: string; originalStateDir: string }[];
}

/**
 * Restores a backup into a fresh data dir (and, for its bots' files, a fresh
 * folder): every checksum is verified first, nothing is written over existing
 * data, a data dir with a live daemon is refused, and each folder is filled
 * beside its target and renamed into place. SQLite files are checked with
 * `integrity_check`. Throws `VALIDATION` (a damaged backup, naming the
 * files), `CONFLICT` (a non-empty target), `ALREADY_RUNNING` or `USAGE`.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const from = path.resolve(options.from);
  const manifest = readManifest(from);
  options.progress?.(`verifying ${manifest.files.length} files`);
  const problems = await verifyBackupFiles(from, manifest);
  if (problems.length > 0) {
    throw new OpsError(
      "VALIDATION",
      `backup ${from} is damaged: ${problems.map((p) => `${p.path}: ${p.problem}`).join("; ")}`,
      { details: { problems } },
    );
  }

  const dataDir = path.resolve(options.dataDir);
  const live = options.liveDaemon ?? (() => null);
  assertFresh(dataDir, "--data-dir", live);
  const botFiles = manifest.files.filter((f) => f.bot !== undefined);
  const botsDir = options.botsDir ? path.resolve(options.botsDir) : null;
  if (botFiles.length > 0 && !botsDir)
    throw new OpsError(
      "USAGE",
      `the backup holds files of ${manifest.bots.length} bot(s) (${manifest.bots.map((b) => b.name).join(", ")}): name a fresh folder for them with --bots-dir`,
    );
  if (botsDir) {
    assertFresh(botsDir, "--bots-dir", live);
    for (const bot of manifest.bots) {
      if (inside(botsDir, bot.stateDir) || inside(bot.stateDir, botsDir))
        throw new OpsError(
          "CONFLICT",
          `--bots-dir ${botsDir} overlaps bot ${bot.name}'s state dir ${bot.stateDir}`,
        );
    }
  }
  if (manifest.store.kind === "postgres") {
    if (!options.databaseUrl)
      throw new OpsError(
        "USAGE",
        "the backup's store is PostgreSQL: name an empty database with --database-url",
      );
    const tables = await pgUserTables(options.databaseUrl);
    if (tables.length > 0)
      throw new OpsError(
        "CONFLICT",
        `the database of --database-url is not empty (${tables.length} tables, e.g. ${tables.slice(0, 3).join(", ")}): restore only into an empty database`,
      );
  }

  options.progress?.("data dir");
  const dataFiles = manifest.files.filter((f) => f.bot === undefined && f.kind !== "store");
  const storeTarget = manifest.store.kind === "sqlite" ? "clawops.db" : null;
  await fillThenRename(dataDir, (temp) => {
    for (const file of dataFiles) copyInto(from, file.path, path.join(temp, dataTarget(file)));
    if (storeTarget) {
      copyInto(from, manifest.store.file, path.join(temp, storeTarget));
      assertIntact(path.join(temp, storeTarget), manifest.store.file);
    }
  });

  const bots: RestoreResult["bots"] = [];
  if (botsDir) {
    options.progress?.(`${manifest.bots.length} bot(s)`);
    await fillThenRename(botsDir, (temp) => {
      for (const file of botFiles) {
        const target = path.join(temp, file.path.replace(/^bots\//, ""));
        copyInto(from, file.path, target);
        if (file.kind === "sqlite") assertIntact(target, file.path);
      }
    });
    for (const bot of manifest.bots) bots.push(botPlacement(manifest, bot, botsDir));
  }

  if (manifest.store.kind === "postgres") {
    options.progress?.("PostgreSQL (pg_restore)");
    await pgRestore(options.databaseUrl!, path.join(from, manifest.store.file));
  }
  return {
    from,
    createdAt: manifest.createdAt,
    dataDir,
    store:
      manifest.store.kind === "sqlite"
        ? { kind: "sqlite", file: path.join(dataDir, storeTarget!) }
        : { kind: "postgres", database: new URL(options.databaseUrl!).pathname.slice(1) },
    verified: manifest.files.length,
    bots,
  };
}

/** Where a data-dir file of the backup goes, relative to the new data dir. */
function dataTarget(file: BackupFileEntry): string {
  // clawops/known-good/x.json -> known-good/x.json; clawops/clawops.yaml -> clawops.yaml
  return file.path.replace(/^clawops\//, "");
}

function botPlacement(
  manifest: BackupManifest,
  bot: BackupManifest["bots"][number],
  botsDir: string,
) {
  const config = manifest.files.find((f) => f.bot === bot.name && f.kind === "bot-config");
  return {
    name: bot.name,
    configPath: config ? path.join(botsDir, config.path.replace(/^bots\//, "")) : null,
    stateDir: path.join(botsDir, bot.name, "state"),
    originalStateDir: bot.stateDir,
  };
}

function copyInto(from: string, rel: string, target: string): void {
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  copyFileSync(path.join(from, rel), target);
  chmodSync(target, 0o600);
}

function assertIntact(file: string, rel: string): void {
  const verdict = sqliteIntegrity(file);
  if (verdict !== "ok")
    throw new OpsError("VALIDATION", `${rel} fails SQLite's integrity check: ${verdict}`);
}

/** Refuses a folder that holds anything, and first of all one a live daemon holds. */
function assertFresh(
  dir: string,
  option: string,
  live: (dir: string) => { pid: number } | null,
): void {
  const owner = live(dir);
  if (owner)
    throw new OpsError(
      "ALREADY_RUNNING",
      `${option} ${dir} belongs to a running clawops daemon (pid ${owner.pid})`,
    );
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (entries.length > 0)
    throw new OpsError(
      "CONFLICT",
      `${option} ${dir} is not empty (${entries.length} entries): restore only into a fresh folder, never over existing data`,
      { details: { dir } },
    );
}

/** Builds the folder beside `target`, then renames it into place; the partial folder is removed on failure. */
async function fillThenRename(
  target: string,
  fill: (temp: string) => void | Promise<void>,
): Promise<void> {
  const temp = `${target}.restoring-${randomBytes(4).toString("hex")}`;
  mkdirSync(path.dirname(target), { recursive: true });
  mkdirSync(temp, { mode: 0o700 });
  try {
    await fill(temp);
    try {
      rmdirSync(target); // only an empty one (assertFresh); gone already is fine
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

function inside(parent: string, child: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}
