import type { Logger } from "pino";
import type { Bot } from "../core/bot.js";
import type { BudgetState } from "../core/budget.js";
import { errorMessage } from "../core/errors.js";
import type { Notification } from "../core/notification.js";
import type { EventBus } from "../events/bus.js";
import type { Store } from "../store/store.js";
import { type WindowInput, evaluateWindow, periodEnd } from "./evaluate.js";
import { BudgetLedger, type BudgetStatus, findBudget } from "./ledger.js";
import {
  type CrossingFacts,
  exceededNotification,
  percentOf,
  warningNotification,
} from "./messages.js";
import { type BudgetLimit, type BudgetSettings, resolveLimits } from "./settings.js";
import { SpendReader, botsOf, spendOf } from "./spend.js";

export interface BudgetServiceDeps {
  budgets: readonly BudgetSettings[];
  store: Store;
  bus: EventBus;
  log: Logger;
  notify: (notification: Notification) => void;
  now?: () => number;
  /**
   * After a costed message, wait this long (gathering more) before evaluating;
   * longer when evaluations are slow (see `schedule`). Default 2 s.
   */
  coalesceMs?: number;
  /** The share of a core evaluations after messages may take at most. Default 0.01. */
  cpuShare?: number;
}

/**
 * The daemon's budgets: evaluates every budget window after new costed
 * messages (at most once per `coalesceMs`, off the ingest's path) and on the
 * daemon's tick (a new day or month), saves what changed before announcing
 * it (so a crossing is announced once per period, across restarts), and
 * publishes `budget.*` events and notifications. One evaluation or resume
 * runs at a time.
 */
export class BudgetService {
  readonly ledger: BudgetLedger;
  private readonly limits: BudgetLimit[];
  private readonly spend: SpendReader;
  private readonly now: () => number;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private closed = false;
  /** How long the last evaluation took, ms. */
  private lastEvaluationMs = 0;

  constructor(private readonly deps: BudgetServiceDeps) {
    this.limits = resolveLimits(deps.budgets);
    this.now = deps.now ?? Date.now;
    this.spend = new SpendReader(deps.store.sessions);
    this.ledger = new BudgetLedger({
      store: deps.store,
      bus: deps.bus,
      limits: this.limits,
      now: this.now,
      notify: deps.notify,
      spend: this.spend,
    });
  }

  /**
   * Follows costed messages; without budgets there is nothing to follow (and
   * nothing to evaluate: `clawops chat` ignores a pause whose budget is gone).
   */
  start(): void {
    if (this.limits.length === 0 || this.unsubscribe) return;
    this.unsubscribe = this.deps.bus.subscribe((event) => {
      if (event.type !== "session.message" || !event.data.costUsd) return;
      this.spend.noteMessage(event.data.at, this.now());
      this.schedule();
    });
  }

  /**
   * Stops following messages, not for good: `start()` follows them again
   * (this daemon no longer leads the fleet, docs/hosts.md).
   */
  pause(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  status(): Promise<BudgetStatus[]> {
    return this.serial(() => this.ledger.status());
  }

  resume(bot: string, actor: string, options: { onlyBot?: boolean } = {}): Promise<BudgetState[]> {
    return this.serial(() => this.ledger.resume(bot, actor, options));
  }

  /** Evaluates every budget window now (the daemon's tick). */
  evaluate(): Promise<void> {
    return this.serial(() => this.evaluateNow());
  }

  /** Stops following messages and waits for the evaluation in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.queue.catch(() => undefined);
  }

  /**
   * One evaluation after a burst of messages. The wait grows with what an
   * evaluation costs (its last duration over `cpuShare`: a hundred times it
   * by default), so that following a busy fleet's messages takes at most
   * about 1 % of a core: a large fleet's crossing is seen seconds later,
   * never at the ingest's expense.
   */
  private schedule(): void {
    if (this.timer || this.closed) return;
    const waitMs = Math.max(
      this.deps.coalesceMs ?? 2_000,
      this.lastEvaluationMs / (this.deps.cpuShare ?? 0.01),
    );
    this.timer = setTimeout(() => {
      this.timer = null;
      this.evaluate().catch((error: unknown) => {
        this.deps.log.warn({ err: errorMessage(error) }, "budget.evaluate_failed");
      });
    }, waitMs);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async evaluateNow(): Promise<void> {
    const started = performance.now();
    await this.evaluateWindows();
    // What following messages costs: an evaluation that read the month's history is a one-off.
    if (this.spend.daysRead === 0) this.lastEvaluationMs = performance.now() - started;
  }

  private async evaluateWindows(): Promise<void> {
    const { store } = this.deps;
    const nowMs = this.now();
    const states = await store.budgets.listStates();
    const inputs: Omit<WindowInput, "spentUsd">[] = this.limits.map((limit) => ({
      ...limit,
      limit,
      state: findBudget(states, limit),
      nowMs,
    }));
    // A pause whose budget left clawops.yaml is lifted too.
    for (const state of states) {
      if (state.paused && !findBudget(this.limits, state))
        inputs.push({ ...state, limit: null, state, nowMs });
    }
    if (inputs.length === 0) return;
    const [bots, spend] = await Promise.all([store.listBots(), this.spend.read(nowMs)]);
    for (const input of inputs) {
      const covered = botsOf(bots, input.scope, input.name);
      const spentUsd = spendOf(spend, covered, input.window);
      const verdict = evaluateWindow({ ...input, spentUsd });
      if (!verdict.next) continue;
      await store.budgets.saveState(verdict.next);
      if (verdict.resumed)
        this.ledger.announceResumed(verdict.next, bots, verdict.resumed, "budget");
      if (verdict.crossed.length > 0 && input.limit)
        this.announceCrossing(input.limit, verdict.next, verdict.crossed, covered, verdict.paused);
    }
  }

  private announceCrossing(
    limit: BudgetLimit,
    state: BudgetState,
    crossed: readonly ("warning" | "exceeded")[],
    covered: readonly Bot[],
    paused: boolean,
  ): void {
    const nowMs = this.now();
    const facts: CrossingFacts = {
      scope: state.scope,
      name: state.name,
      window: state.window,
      periodStart: state.periodStart,
      spentUsd: state.spentUsd,
      limitUsd: limit.limitUsd,
      owner: state.scope === "owner" ? state.name : (covered[0]?.owner ?? null),
      resumesAt: periodEnd(state.window, nowMs),
    };
    const common = {
      scope: facts.scope,
      name: facts.name,
      window: facts.window,
      periodStart: facts.periodStart,
      spentUsd: facts.spentUsd,
      limitUsd: facts.limitUsd,
      percent: percentOf(facts.spentUsd, facts.limitUsd),
      owner: facts.owner,
    };
    const botId = state.scope === "bot" ? (covered[0]?.id ?? null) : null;
    const pausedBots = paused ? covered.map((b) => b.name) : [];
    for (const level of crossed) {
      this.deps.bus.publish(
        level === "warning"
          ? {
              type: "budget.warning",
              botId,
              actor: "budget",
              data: { ...common, warnAt: limit.warnAt },
            }
          : {
              type: "budget.exceeded",
              botId,
              actor: "budget",
              data: { ...common, action: limit.action, pausedBots, resumesAt: facts.resumesAt },
            },
      );
    }
    this.deps.log.info(
      { ...common, crossed, pausedBots },
      crossed.includes("exceeded") ? "budget.exceeded" : "budget.warning",
    );
    // One message per evaluation: the highest level crossed (the events carry each).
    const ts = new Date(nowMs).toISOString();
    this.deps.notify(
      crossed.includes("exceeded")
        ? exceededNotification(facts, pausedBots, ts)
        : warningNotification(facts, ts),
    );
  }
}
