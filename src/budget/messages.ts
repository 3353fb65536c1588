import type { BudgetResumeReason, BudgetScope, BudgetWindow } from "../core/budget.js";
import type { Notification } from "../core/notification.js";

/** US dollars for people: cents, or more digits below a cent so that a small spend is not "$0.00". */
export function usd(amount: number): string {
  return `$${amount > 0 && amount < 0.01 ? amount.toPrecision(2) : amount.toFixed(2)}`;
}

/** `spent` as a whole percentage of `limit`. */
export function percentOf(spentUsd: number, limitUsd: number): number {
  return limitUsd > 0 ? Math.round((spentUsd / limitUsd) * 1000) / 10 : 0;
}

const ADJECTIVE: Record<BudgetWindow, string> = { day: "daily", month: "monthly" };
const SPAN: Record<BudgetWindow, string> = { day: "today (UTC)", month: "this month (UTC)" };

/** `2026-11-02T00:00:00.000Z` as `2026-11-02 00:00 UTC`. */
export function utcMinute(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** What a budget is called in a sentence: "alpha's daily budget", "owner team-a's monthly budget". */
export function budgetName(b: { scope: BudgetScope; name: string; window: BudgetWindow }): string {
  return `${b.scope === "owner" ? "owner " : ""}${b.name}'s ${ADJECTIVE[b.window]} budget`;
}

export interface CrossingFacts {
  scope: BudgetScope;
  name: string;
  window: BudgetWindow;
  periodStart: string;
  spentUsd: number;
  limitUsd: number;
  /** Who is told: the bot's owner, or the owner itself. */
  owner: string | null;
  resumesAt: string;
}

const subject = (f: { scope: BudgetScope; name: string }) =>
  f.scope === "owner" ? `owner ${f.name}` : f.name;
const key = (what: string, f: CrossingFacts) =>
  `budget:${what}:${f.scope}:${f.name}:${f.window}:${f.periodStart}`;
const ownerLine = (f: CrossingFacts) => (f.owner ? [`owner: ${f.owner}`] : []);

export function warningNotification(f: CrossingFacts, ts: string): Notification {
  return {
    kind: "warning",
    bot: f.scope === "bot" ? f.name : null,
    title: `${subject(f)} reached ${percentOf(f.spentUsd, f.limitUsd)} % of its ${ADJECTIVE[f.window]} budget`,
    lines: [
      `${usd(f.spentUsd)} of ${usd(f.limitUsd)} spent ${SPAN[f.window]}; the budget starts again at ${utcMinute(f.resumesAt)}`,
      ...ownerLine(f),
    ],
    dedupeKey: key("warning", f),
    ts,
  };
}

/**
 * `escalated`: a spent budget needs a person (resume, or raise the limit),
 * and that kind is never lost to the per-bot rate limit.
 */
export function exceededNotification(
  f: CrossingFacts,
  pausedBots: readonly string[],
  ts: string,
): Notification {
  const action =
    pausedBots.length > 0
      ? `paused: clawops refuses new chats with ${pausedBots.join(", ")} until ${utcMinute(f.resumesAt)} (the gateways stay up); \`clawops budget resume ${pausedBots[0]}\` lifts it now`
      : "action notify: nothing is paused";
  return {
    kind: "escalated",
    bot: f.scope === "bot" ? f.name : null,
    title: `${subject(f)} exceeded its ${ADJECTIVE[f.window]} budget: ${usd(f.spentUsd)} of ${usd(f.limitUsd)} (${percentOf(f.spentUsd, f.limitUsd)} %)`,
    lines: [...ownerLine(f), action],
    dedupeKey: key("exceeded", f),
    ts,
  };
}

const RESUME_REASON: Record<BudgetResumeReason, string> = {
  operator: "an operator resumed it",
  period: "a new period began",
  limit: "the budget no longer calls for it",
};

export function resumedNotification(
  b: { scope: BudgetScope; name: string; window: BudgetWindow; periodStart: string },
  bots: readonly string[],
  reason: BudgetResumeReason,
  ts: string,
): Notification {
  return {
    kind: "info",
    bot: b.scope === "bot" ? b.name : null,
    title: `${bots.length > 0 ? bots.join(", ") : subject(b)}: chats through clawops resumed`,
    lines: [`${budgetName(b)} pause lifted: ${RESUME_REASON[reason]}`],
    dedupeKey: `budget:resumed:${b.scope}:${b.name}:${b.window}:${ts}`,
    ts,
  };
}
