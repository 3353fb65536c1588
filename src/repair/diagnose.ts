import path from "node:path";
import type { RepairTrigger } from "../core/repair.js";
import type { Evidence } from "./evidence.js";
import type { ActionName } from "./settings.js";

export interface Diagnosis {
  /** The causes the evidence shows, in words ([] when it shows none: a plain process fault). */
  causes: string[];
  /** False when a cause is one a restart cannot fix (tier 1 is skipped). */
  restartHelps: boolean;
  /** Tier 2: the actions the evidence supports, in order, ending with a restart; [] when none. */
  deepFix: ActionName[];
}

/**
 * From evidence to the tier-2 plan, as a pure function: each action only when
 * its evidence is there. What it cannot explain is left to tier 3 or to humans.
 */
export function diagnose(evidence: Evidence, trigger: RepairTrigger): Diagnosis {
  const causes: string[] = [];
  const steps: ActionName[] = [];
  let restartHelps = true;

  if (evidence.configProblems.length > 0) {
    restartHelps = false;
    causes.push(`invalid config: ${evidence.configProblems.slice(0, 3).join("; ")}`);
    steps.push(
      evidence.lastGood.some((copy) => copy.problems.length === 0)
        ? "restore-last-good-config"
        : "apply-doctor-fixes",
    );
  }
  if (evidence.legacyAuthFiles.length > 0) {
    restartHelps = false;
    causes.push(
      `legacy auth-profiles.json blocks its providers (${evidence.legacyAuthFiles.length} file(s))`,
    );
    steps.push("stop", "archive-legacy-auth");
  }
  const holder = evidence.portHolder;
  if (holder) {
    restartHelps = false;
    const who = `pid ${holder.pid ?? "?"} (${holder.cmdline ?? "unknown"})`;
    causes.push(
      holder.looksLikeOpenClaw && holder.sameStateDir
        ? `port held by a stale gateway of the same state dir: ${who}${holder.answers ? "" : ", not answering /healthz"}`
        : `port held by a foreign process: ${who}`,
    );
    steps.push("kill-verified-stale-listener");
  }
  // OpenClaw reclaims the lock of a dead pid by itself (every SIGKILL leaves one); a
  // pid that some other program now has looks alive to it, and it refuses to start.
  const reused = evidence.staleLocks.filter((lock) => lock.why === "reused");
  if (reused.length > 0) {
    restartHelps = false;
    causes.push(
      `gateway lock held by a reused pid: ${reused.map((l) => `pid ${l.pid} (${path.basename(l.file)})`).join(", ")}`,
    );
    steps.push("clear-dead-lock");
  }
  if (evidence.logSignals.includes("state-dir-contention")) {
    restartHelps = false;
    causes.push("another gateway holds the state dir (StateDatabaseCoordinatorContention)");
  }
  if (trigger === "crash_loop" && restartHelps) {
    causes.push("crash loop: restarts did not hold");
    restartHelps = false;
  }
  return { causes, restartHelps, deepFix: steps.length > 0 ? [...steps, "restart"] : [] };
}
