import { z } from "zod";
import { listBackups } from "../../backup/retention.js";
import path from "node:path";
import { duration, formatDurationMs } from "../../core/duration.js";
import { errorMessage } from "../../core/errors.js";
import {
  type HostSettings,
  type ReadinessDeps,
  type ReadinessFinding,
  componentSchema,
  defineCheck,
} from "../check.js";

const schema = componentSchema(
  "backups",
  { weight: 2, timeout: "10s" },
  {
    /** The folder of clawops's backups; `backups.dir` (or `<dataDir>/backups`) when absent. */
    dir: z.string().min(1).optional(),
    /** The newest backup older than this fails; default: 1.5 × `backups.every` (36 h for daily). */
    maxAge: duration("0ms"),
  },
);

type BackupsComponent = z.output<typeof schema>;

/**
 * The newest finished backup (a folder with a valid manifest) is recent
 * enough. Built in when `backups.enabled` is true.
 */
export const backups = defineCheck({
  id: "backups",
  title: "Backups",
  schema,
  target: (config, deps) => config.dir ?? backupsDir(deps.config),
  run(config, deps) {
    return Promise.resolve(checkBackups(config, deps));
  },
});

function checkBackups(config: BackupsComponent, deps: ReadinessDeps): ReadinessFinding {
  const dir = config.dir ?? backupsDir(deps.config);
  const maxAgeMs = config.maxAge > 0 ? config.maxAge : Math.round(deps.config.backups.every * 1.5);
  let found;
  try {
    found = listBackups(dir);
  } catch (error) {
    return {
      status: "fail",
      summary: `cannot list ${dir}: ${errorMessage(error)}`,
      fix: "check that the folder exists and that clawops may read it",
    };
  }
  const newest = found[0];
  if (!newest) {
    return {
      status: "fail",
      summary: `no backup in ${dir}`,
      evidence: { backups: 0 },
      fix: "clawops backup now; for scheduled ones set backups.enabled: true (docs/backup.md)",
    };
  }
  const ageMs = deps.now() - Date.parse(newest.createdAt);
  const evidence = { backups: found.length, newest: newest.createdAt, origin: newest.origin };
  if (ageMs > maxAgeMs) {
    return {
      status: "fail",
      summary: `the newest backup is ${formatDurationMs(ageMs)} old, over ${formatDurationMs(maxAgeMs)}`,
      evidence,
      fix: deps.config.backups.enabled
        ? "the scheduled backups have stopped: clawops status and the daemon's log say why (a full disk?)"
        : "set backups.enabled: true for scheduled backups (docs/backup.md), or run clawops backup",
      timings: { ageMs },
    };
  }
  return {
    status: "pass",
    summary: `the newest backup is within ${formatDurationMs(maxAgeMs)}`,
    evidence,
    timings: { ageMs },
  };
}

/** `backups.dir`, else `<dataDir>/backups` (as the daemon's schedule writes them). */
function backupsDir(config: HostSettings): string {
  return config.backups.dir ?? path.join(config.dataDir, "backups");
}
