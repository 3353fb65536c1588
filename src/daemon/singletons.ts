import type { Logger } from "pino";
import type { BudgetService } from "../budget/service.js";
import type { ClawopsConfig } from "../config/schema.js";
import { errorMessage } from "../core/errors.js";
import type { NotificationHub } from "../notifiers/index.js";
import type { Loops } from "./loops.js";

export interface SingletonDeps {
  config: ClawopsConfig;
  loops: Loops;
  log: Logger;
  notifier: NotificationHub;
  budgets: BudgetService;
  /** Fires due task schedules on the loops until the signal aborts. */
  startSchedules(loops: Loops, signal: AbortSignal): void;
}

/** The loops only the fleet's leader runs, by name (forgotten when its term ends). */
const SINGLETON_LOOPS = ["budgets", "schedules"] as const;

/**
 * Starts the fleet's singletons for one term of leadership (docs/hosts.md):
 * the notifiers' listeners (the Telegram poller: two pollers on one token
 * make Telegram answer 409), the budgets' evaluation (one alert per
 * crossing, not one per host) and the task schedules (one task per firing).
 * Everything stops when `term` aborts; the next term starts them again.
 */
export function startSingletons(term: AbortSignal, deps: SingletonDeps): void {
  const { config, loops, log, notifier, budgets } = deps;
  // Not awaited: a chat API that is slow to answer must not delay anything.
  notifier.start(term).catch((error: unknown) => {
    log.error({ err: errorMessage(error) }, "notify.start_failed");
  });
  if (config.budgets.length > 0) {
    budgets.start();
    // Also notices a new day or month: a pause lifts, a warning may be due again.
    loops.every("budgets", 60_000, term, () => budgets.evaluate());
  }
  deps.startSchedules(loops, term);
  term.addEventListener(
    "abort",
    () => {
      budgets.pause();
      for (const name of SINGLETON_LOOPS) loops.forget(name);
    },
    { once: true },
  );
}
