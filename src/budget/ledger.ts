import type { Bot } from "../core/bot.js";
import type {
  BudgetAction,
  BudgetLevel,
  BudgetResumeReason,
  BudgetScope,
  BudgetState,
  BudgetWindow,
} from "../core/budget.js";
import { OpsError } from "../core/errors.js";
import type { Notification } from "../core/notification.js";
import type { EventBus } from "../events/bus.js";
import { requireBot } from "../fleet/registry.js";
import type { Store } from "../store/store.js";
import { currentState, levelOf, pausesHolding, periodEnd, periodStart } from "./evaluate.js";
import { budgetName, percentOf, resumedNotification, usd, utcMinute } from "./messages.js";
import type { BudgetLimit } from "./settings.js";
import { SpendReader, botsOf, spendOf } from "./spend.js";

/** One configured budget window as `clawops budget` and `GET /api/v1/budgets` show it. */
export interface BudgetStatus {
  scope: BudgetScope;
  name: string;
  window: BudgetWindow;
  /** ISO 8601, UTC: the current period's start, and the next one's (when a pause lifts by itself). */
  periodStart: string;
  resetsAt: string;
  spentUsd: number;
  limitUsd: number;
  percent: number;
  warnAt: number;
  action: BudgetAction;
  /** Where the spend is now against the limit. */
  level: BudgetLevel;
  /** The highest level announced in this period. */
  announced: BudgetLevel;
  /** New chats through clawops with its bots are refused. */
  paused: boolean;
  /** The registered bots it covers. */
  bots: string[];
}

export interface BudgetLedgerDeps {
  store: Store;
  bus: EventBus;
  limits: readonly BudgetLimit[];
  now: () => number;
  /** The daemon's notification hub; absent in a one-shot command. */
  notify?: (notification: Notification) => void;
  /** The daemon's reader keeps the month's earlier days; a command reads once. */
  spend?: SpendReader;
}

/**
 * What the store knows of budgets, for the daemon and for commands that run
 * without it: each budget's spend and state, lifting a bot's pause, and the
 * check before a chat.
 */
export class BudgetLedger {
  private readonly spend: SpendReader;

  constructor(private readonly deps: BudgetLedgerDeps) {
    this.spend = deps.spend ?? new SpendReader(deps.store.sessions);
  }

  /** Every configured budget window with its spend and state, in configuration order. */
  async status(): Promise<BudgetStatus[]> {
    const { store, limits } = this.deps;
    if (limits.length === 0) return [];
    const nowMs = this.deps.now();
    const [bots, spend, states] = await Promise.all([
      store.listBots(),
      this.spend.read(nowMs),
      store.budgets.listStates(),
    ]);
    return limits.map((limit) => {
      const covered = botsOf(bots, limit.scope, limit.name);
      const spentUsd = spendOf(spend, covered, limit.window);
      const state = currentState(findBudget(states, limit), nowMs);
      return {
        scope: limit.scope,
        name: limit.name,
        window: limit.window,
        periodStart: periodStart(limit.window, nowMs),
        resetsAt: periodEnd(limit.window, nowMs),
        spentUsd,
        limitUsd: limit.limitUsd,
        percent: percentOf(spentUsd, limit.limitUsd),
        warnAt: limit.warnAt,
        action: limit.action,
        level: levelOf(spentUsd, limit.limitUsd, limit.warnAt),
        announced: state?.level ?? "ok",
        paused: state?.paused === true && limit.action === "pause",
        bots: covered.map((b) => b.name),
      };
    });
  }

  /**
   * Lifts every budget pause that holds the bot: its own and its owner's (an
   * owner's pause lifts for all of that owner's bots). The levels reached stay
   * announced: the budget does not pause again before its next period.
   * Returns the budgets lifted (none when the bot was not paused). With
   * `onlyBot`, the bot's own pause only (an owner's budget can cover other
   * organisations' bots: lifting it is not for one organisation to do).
   */
  async resume(
    botName: string,
    actor: string,
    options: { onlyBot?: boolean } = {},
  ): Promise<BudgetState[]> {
    const { store } = this.deps;
    const bot = await requireBot(store, botName);
    const nowMs = this.deps.now();
    const holding = pausesHolding(await store.budgets.listStates(), bot, nowMs).filter(
      (state) => !options.onlyBot || state.scope === "bot",
    );
    if (holding.length === 0) return [];
    const bots = await store.listBots();
    const lifted: BudgetState[] = [];
    for (const state of holding) {
      const next = { ...state, paused: false, updatedAt: new Date(nowMs).toISOString() };
      await store.budgets.saveState(next);
      lifted.push(next);
      this.announceResumed(next, bots, "operator", actor);
    }
    return lifted;
  }

  /** Publishes (and, in the daemon, notifies) that a budget pause ended. */
  announceResumed(
    state: BudgetState,
    bots: readonly Bot[],
    reason: BudgetResumeReason,
    actor: string,
  ): void {
    const held = botsOf(bots, state.scope, state.name);
    this.deps.bus.publish({
      type: "budget.resumed",
      botId: state.scope === "bot" ? (held[0]?.id ?? null) : null,
      actor,
      data: {
        scope: state.scope,
        name: state.name,
        window: state.window,
        periodStart: state.periodStart,
        reason,
        bots: held.map((b) => b.name),
      },
    });
    const ts = new Date(this.deps.now()).toISOString();
    this.deps.notify?.(
      resumedNotification(
        state,
        held.map((b) => b.name),
        reason,
        ts,
      ),
    );
  }
}

/**
 * Refuses a chat with a bot its budget (or its owner's) has paused, with
 * `BUDGET_EXCEEDED` saying which budget and until when. A pause whose period
 * is over, or whose budget is no longer configured to pause, holds nothing
 * (the daemon records that at its next evaluation).
 */
export async function assertNotBudgetPaused(
  store: Store,
  limits: readonly BudgetLimit[],
  bot: Bot,
  nowMs: number,
): Promise<void> {
  if (limits.length === 0) return;
  const holding = pausesHolding(await store.budgets.listStates(), bot, nowMs).filter((s) =>
    limits.some((l) => sameBudget(l, s) && l.action === "pause"),
  );
  const state = holding[0];
  if (!state) return;
  const resumesAt = periodEnd(state.window, nowMs);
  throw new OpsError(
    "BUDGET_EXCEEDED",
    `${bot.name} is paused by ${budgetName(state)} (${usd(state.spentUsd)} of ${usd(state.limitUsd)}): clawops refuses new chats with it until ${utcMinute(resumesAt)}, or until \`clawops budget resume ${bot.name}\``,
    {
      retryable: false,
      details: {
        bot: bot.name,
        scope: state.scope,
        name: state.name,
        window: state.window,
        spentUsd: state.spentUsd,
        limitUsd: state.limitUsd,
        resumesAt,
      },
    },
  );
}

function sameBudget(
  a: { scope: BudgetScope; name: string; window: BudgetWindow },
  b: { scope: BudgetScope; name: string; window: BudgetWindow },
): boolean {
  return a.scope === b.scope && a.name === b.name && a.window === b.window;
}

/** The entry (a saved state, a limit) of a budget window, if any. */
export function findBudget<T extends { scope: BudgetScope; name: string; window: BudgetWindow }>(
  states: readonly T[],
  key: { scope: BudgetScope; name: string; window: BudgetWindow },
): T | null {
  return states.find((s) => sameBudget(s, key)) ?? null;
}
