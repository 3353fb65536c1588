import type { RepairAction } from "../action.js";
import {
  applyDoctorFixes,
  archiveLegacyAuth,
  restoreLastGoodConfig,
  runOpenClawDoctorFix,
} from "./config-repair.js";
import { clearDeadLock } from "./dead-lock.js";
import { restart, start, stop, wait } from "./lifecycle.js";
import { killVerifiedStaleListener } from "./stale-listener.js";

/**
 * Every repair action, by name: the one registry. The allowlist's names and
 * its zod enum (settings.ts), the AI planner's menu and the tier-2 diagnosis
 * (diagnose.ts) all derive from it. Deep fixes run in this order when several
 * apply: the config first, then what blocks a start (legacy auth, the port, a lock).
 * A new action is one file and one line here, documented in docs/repair.md.
 */
export const REPAIR_ACTIONS = {
  restart,
  stop,
  start,
  wait,
  "restore-last-good-config": restoreLastGoodConfig,
  "apply-doctor-fixes": applyDoctorFixes,
  "archive-legacy-auth": archiveLegacyAuth,
  "kill-verified-stale-listener": killVerifiedStaleListener,
  "clear-dead-lock": clearDeadLock,
  "run-openclaw-doctor-fix-with-backup": runOpenClawDoctorFix,
} as const satisfies Record<string, RepairAction>;

/** The name of an action of the registry. */
export type ActionName = keyof typeof REPAIR_ACTIONS;

/** Every action's name, in registry order: the allowlist picks from these (and defaults to all). */
export const ACTION_NAMES = Object.keys(REPAIR_ACTIONS) as [ActionName, ...ActionName[]];
