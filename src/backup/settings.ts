import { z } from "zod";
import { duration } from "../core/duration.js";

/** `backups` in clawops.yaml: the daemon's scheduled backups (docs/backup.md). Off by default. */
export const backupsConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** How often: a backup is taken when the newest scheduled one is this old. */
    every: duration("24h"),
    /** Scheduled backups kept; older ones the daemon made are deleted (never manual ones). */
    keep: z.number().int().min(1).max(1000).default(7),
    /** Where backups go; default `<dataDir>/backups`, relative to clawops.yaml. */
    dir: z.string().min(1).optional(),
  })
  .prefault({});

export type BackupsSettings = z.output<typeof backupsConfigSchema>;
