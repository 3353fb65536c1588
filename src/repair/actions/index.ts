import type { RepairAction } from "../action.js";
import type { ActionName } from "../settings.js";
import {
  applyDoctorFixes,
  archiveLegacyAuth,
  restoreLastGoodConfig,
  runOpenClawDoctorFix,
} from "./config-repair.js";
import { clearDeadLock } from "./dead-lock.js";
import { restart, start, stop, wait } from "./lifecycle.js";
import { killVerifiedStaleListener } from "./stale-listener.js";

/** Every repair action, by name: the one registry the allowlist and the AI planner draw from. */
export const REPAIR_ACTIONS: Readonly<Record<ActionName, RepairAction>> = {
  restart,
  stop,
  start,
  wait,
  "kill-verified-stale-listener": killVerifiedStaleListener,
  "clear-dead-lock": clearDeadLock,
  "archive-legacy-auth": archiveLegacyAuth,
  "restore-last-good-config": restoreLastGoodConfig,
  "apply-doctor-fixes": applyDoctorFixes,
  "run-openclaw-doctor-fix-with-backup": runOpenClawDoctorFix,
};
