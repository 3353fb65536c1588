import path from "node:path";
import type { Logger } from "pino";
import type { ClawopsConfig } from "../config/schema.js";
import type { Bot } from "../core/bot.js";
import type { BackupResult, CreateBackupOptions } from "./create.js";
import { createBackupOffThread } from "./off-thread.js";
import { listBackups, pruneScheduledBackups } from "./retention.js";
import type { LoopRunner } from "../core/time.js";

/** How often the loop looks whether a backup is due (at most; `every` when shorter). */
const CHECK_PERIOD_MS = 5 * 60_000;

/** What `/readyz` shows of the schedule: the newest backup and how old it is. */
export interface BackupScheduleStatus {
  ok: boolean;
  dir: string;
  lastBackupAt: string | null;
  lastBackupAgeMs: number | null;
  warning?: string;
  reason?: string;
  [detail: string]: unknown;
}

export interface BackupSchedulerDeps {
  config: ClawopsConfig;
  configFile: string | null;
  listBots(): Promise<Bot[]>;
  log: Logger;
  now?: () => number;
  /** How a backup is made; default: in a worker thread (off-thread.ts). */
  create?: (options: Omit<CreateBackupOptions, "progress" | "now">) => Promise<BackupResult>;
}

/** The folder scheduled backups go to: `backups.dir`, else `<dataDir>/backups`. */
export function backupsDir(config: ClawopsConfig): string {
  return config.backups.dir ?? path.join(config.dataDir, "backups");
}

/**
 * The daemon's scheduled backups: a backup when the newest scheduled one is
 * `every` old (so a restart neither skips one nor takes an extra one), then
 * the scheduled backups beyond `keep` are deleted. Manual backups in the same
 * folder are never deleted.
 */
export class BackupScheduler {
  private lastError: string | null = null;
  /** The newest backup in the folder as of the last tick (read there, not on every /readyz). */
  private newest: { createdAt: string } | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: BackupSchedulerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Registers the loop (when `backups.enabled`). */
  start(loops: LoopRunner, signal: AbortSignal): void {
    const { every } = this.deps.config.backups;
    loops.every("backups", Math.min(every, CHECK_PERIOD_MS), signal, (s) => this.tick(s));
  }

  /** Takes a backup if one is due, then prunes. Throws what the backup threw (the loop logs it). */
  async tick(signal?: AbortSignal): Promise<void> {
    const { every, keep } = this.deps.config.backups;
    const dir = backupsDir(this.deps.config);
    const found = listBackups(dir);
    this.newest = found[0] ?? null;
    const newest = found.find((b) => b.origin === "scheduled");
    if (newest && this.now() - Date.parse(newest.createdAt) < every) return;
    if (signal?.aborted) return;
    try {
      const started = this.now();
      const create = this.deps.create ?? createBackupOffThread;
      const result = await create({
        config: this.deps.config,
        configFile: this.deps.configFile,
        bots: await this.deps.listBots(),
        destDir: dir,
        origin: "scheduled",
      });
      this.lastError = null;
      this.newest = { createdAt: result.manifest.createdAt };
      const bytes = result.manifest.files.reduce((sum, f) => sum + f.bytes, 0);
      this.deps.log.info(
        {
          dir: result.dir,
          files: result.manifest.files.length,
          bytes,
          durationMs: this.now() - started,
        },
        "backup.created",
      );
    } catch (error) {
      this.lastError = (error as Error).message;
      throw error;
    }
    const pruned = pruneScheduledBackups(dir, keep);
    if (pruned.length > 0)
      this.deps.log.info(
        { keep, pruned: pruned.map((b) => path.basename(b.dir)) },
        "backup.pruned",
      );
  }

  /** The newest backup's age; a warning when no scheduled backup is younger than twice `every`. */
  status(): BackupScheduleStatus {
    const { every } = this.deps.config.backups;
    const dir = backupsDir(this.deps.config);
    const newest = this.newest;
    const ageMs = newest ? this.now() - Date.parse(newest.createdAt) : null;
    const status: BackupScheduleStatus = {
      ok: true,
      dir,
      lastBackupAt: newest?.createdAt ?? null,
      lastBackupAgeMs: ageMs,
    };
    if (this.lastError) status.warning = `the last scheduled backup failed: ${this.lastError}`;
    else if (ageMs !== null && ageMs > 2 * every)
      status.warning = `the newest backup is ${Math.round(ageMs / 3_600_000)}h old`;
    return status;
  }
}
