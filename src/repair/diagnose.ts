import type { RepairTrigger } from "../core/repair.js";
import { type ActionName, REPAIR_ACTIONS } from "./actions/index.js";
import type { Evidence } from "./evidence.js";

export interface Diagnosis {
  /** The causes the evidence shows, in words ([] when it shows none: a plain process fault). */
  causes: string[];
  /** False when a cause is one a restart cannot fix (tier 1 is skipped). */
  restartHelps: boolean;
  /** Tier 2: the actions the evidence supports, in order, ending with a restart; [] when none. */
  deepFix: ActionName[];
}

/**
 * From evidence to the tier-2 plan, as a pure function: each deep fix of the
 * registry (its `deepFix` declaration) when its evidence is there, in registry
 * order. What it cannot explain is left to tier 3 or to humans.
 */
export function diagnose(evidence: Evidence, trigger: RepairTrigger): Diagnosis {
  const causes: string[] = [];
  const steps: ActionName[] = [];
  for (const action of Object.values(REPAIR_ACTIONS)) {
    const cause = action.deepFix?.cause(evidence) ?? null;
    if (cause === null) continue;
    causes.push(cause);
    // Registry keys are the actions' names (actions/index.test.ts).
    for (const step of [...(action.deepFix?.before ?? []), action])
      if (!steps.includes(step.name as ActionName)) steps.push(step.name as ActionName);
  }
  // A cause a restart cannot fix, whether or not an action can.
  let restartHelps = causes.length === 0;
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
