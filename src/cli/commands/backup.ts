import { setPriority } from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { createBackup } from "../../backup/create.js";
import { type RestoreResult, restoreBackup } from "../../backup/restore.js";
import { backupsDir } from "../../backup/schedule.js";
import type { BackupManifest } from "../../backup/manifest.js";
import { isLockOwnerAlive, readLockOwner } from "../../daemon/lock.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig, withRegistry } from "../context.js";
import { EXIT, emit } from "../output.js";
import { stepPrinter } from "../progress.js";

interface BackupOptions extends CommandOptions {
  to?: string;
}

interface RestoreOptions extends CommandOptions {
  dataDir: string;
  botsDir?: string;
  databaseUrl?: string;
}

export function registerBackupCommands(program: Command) {
  program
    .command("backup")
    .description(
      "take an online backup (the store, clawops's known-good configs, every bot's config and state databases) while everything runs; docs/backup.md",
    )
    .option(
      "--to <dir>",
      "folder that receives the backup (default: backups.dir, <dataDir>/backups)",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: BackupOptions) => {
        const loaded = loadCliConfig(options);
        const steps = stepPrinter(!options.json);
        yieldCpu();
        const result = await withRegistry(
          options,
          async ({ store, config }) =>
            createBackup({
              config,
              configFile: loaded.file,
              bots: await store.listBots(),
              destDir: path.resolve(options.to ?? backupsDir(config)),
              origin: "manual",
              progress: (step) => steps.next(`backing up ${step}`),
            }),
          loaded,
        ).catch((error: unknown) => {
          steps.fail();
          throw error;
        });
        steps.end();
        const summary = summarize(result.dir, result.manifest);
        emit(options, { backup: summary }, (b) => renderBackup(b.backup));
        return EXIT.ok;
      }),
    );

  program
    .command("restore")
    .argument("<from>", "the backup's folder (holding manifest.json)")
    .description(
      "verify a backup's checksums, then restore it into a fresh data dir (and the bots' files into a fresh folder); never over existing data",
    )
    .requiredOption("--data-dir <dir>", "the new data dir: absent or empty")
    .option("--bots-dir <dir>", "where the bots' configs and state go: absent or empty")
    .option(
      "--database-url <url>",
      "PostgreSQL backups: the empty database to restore into (env CLAWOPS_DATABASE_URL keeps the password off the command line)",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: RestoreOptions, from: string) => {
        const steps = stepPrinter(!options.json);
        const databaseUrl = options.databaseUrl ?? process.env.CLAWOPS_DATABASE_URL;
        const result = await restoreBackup({
          from,
          dataDir: options.dataDir,
          ...(options.botsDir ? { botsDir: options.botsDir } : {}),
          ...(databaseUrl ? { databaseUrl } : {}),
          progress: (step) => steps.next(`restoring ${step}`),
          liveDaemon: (dir) => {
            const owner = readLockOwner(dir);
            return owner && isLockOwnerAlive(owner) ? owner : null;
          },
        }).catch((error: unknown) => {
          steps.fail();
          throw error;
        });
        steps.end();
        emit(options, { restore: result }, (r) => renderRestore(r.restore));
        return EXIT.ok;
      }),
    );
}

/**
 * A backup is bulk work (copying and hashing every database) beside gateways
 * that answer users on the same cores: it runs at nice 10, so that they go
 * first when the CPU is short (bench/backup.ts). Where the priority cannot be
 * set, it runs as it is.
 */
function yieldCpu(): void {
  try {
    setPriority(10);
  } catch {
    // Not permitted or not supported here: the backup is the same, only less polite.
  }
}

function summarize(dir: string, manifest: BackupManifest) {
  return {
    dir,
    createdAt: manifest.createdAt,
    store: manifest.store.kind,
    bots: manifest.bots.map((b) => b.name),
    files: manifest.files.length,
    bytes: manifest.files.reduce((sum, f) => sum + f.bytes, 0),
    durationMs: manifest.durationMs,
    skipped: manifest.skipped,
  };
}

function renderBackup(b: ReturnType<typeof summarize>): string {
  const lines = [
    `backup written to ${b.dir}`,
    `  ${b.files} files, ${(b.bytes / 1024 / 1024).toFixed(1)} MiB, store ${b.store}, bots: ${b.bots.join(", ") || "none"}, ${b.durationMs} ms`,
  ];
  for (const s of b.skipped) lines.push(`  skipped ${s.path}: ${s.reason}`);
  return lines.join("\n");
}

function renderRestore(r: RestoreResult): string {
  const lines = [
    `restored the backup of ${r.createdAt} (${r.verified} files verified)`,
    `  data dir: ${r.dataDir}`,
    r.store.kind === "sqlite"
      ? `  store: ${r.store.file}`
      : `  store: PostgreSQL database ${r.store.database}`,
  ];
  for (const bot of r.bots)
    lines.push(
      `  bot ${bot.name}: state ${bot.stateDir}${bot.configPath ? `, config ${bot.configPath}` : ""}`,
    );
  if (r.bots.length > 0)
    lines.push(
      "  the restored registry still names the bots' original paths: move the files there, or re-register the bots (docs/backup.md)",
    );
  return lines.join("\n");
}
