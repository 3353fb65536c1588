import { z } from "zod";
import { botNameSchema } from "../core/bot.js";
import {
  BUDGET_ACTIONS,
  BUDGET_WINDOWS,
  type BudgetScope,
  type BudgetWindow,
} from "../core/budget.js";

const usd = z
  .number({ error: "expected an amount in US dollars" })
  .positive({ error: "expected an amount in US dollars above 0" })
  .finite();

/** One budget: whose spend, the daily and monthly limits, when to warn, what the limit does. */
const budgetSchema = z
  .strictObject({
    /** A bot's name: the budget limits that bot's spend. */
    bot: botNameSchema.optional(),
    /** An owner (`clawops bot add --owner`): the budget limits all of that owner's bots together. */
    owner: z.string().min(1).max(200).optional(),
    /** US dollars per UTC day. */
    daily: usd.optional(),
    /** US dollars per UTC month. */
    monthly: usd.optional(),
    /** The share of a limit at which operators are warned (0.8: at 80 %). */
    warnAt: z
      .number()
      .gt(0, { error: "expected a share between 0 and 1 (0.8 is 80 %)" })
      .lt(1, { error: "expected a share between 0 and 1 (0.8 is 80 %)" })
      .default(0.8),
    /**
     * At 100 %: `notify` tells the operators; `pause` also refuses new chats
     * through clawops with the bot(s) until the period ends or an operator
     * resumes them (the gateways keep running).
     */
    action: z.enum(BUDGET_ACTIONS).default("notify"),
  })
  .superRefine((budget, ctx) => {
    if ((budget.bot === undefined) === (budget.owner === undefined))
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "set exactly one of `bot` and `owner`: whose spend this budget limits",
      });
    if (budget.daily === undefined && budget.monthly === undefined)
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "set `daily`, `monthly` or both: the limit in US dollars",
      });
  });

/**
 * `budgets` in clawops.yaml: spending limits per bot or per owner, per UTC
 * day and month (docs/budgets.md). One entry per bot or owner.
 */
export const budgetsConfigSchema = z
  .array(budgetSchema)
  .default([])
  .superRefine((budgets, ctx) => {
    const seen = new Map<string, number>();
    budgets.forEach((budget, index) => {
      const scope = budget.bot !== undefined ? `bot ${budget.bot}` : `owner ${budget.owner}`;
      const first = seen.get(scope);
      if (first !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [index],
          message: `${scope} already has a budget (budgets[${first}]): give both limits in one entry`,
        });
      else seen.set(scope, index);
    });
  });

export type BudgetSettings = z.output<typeof budgetSchema>;

/** One limit of a configured budget: a scope, a window and its amount. */
export interface BudgetLimit {
  scope: BudgetScope;
  name: string;
  window: BudgetWindow;
  limitUsd: number;
  warnAt: number;
  action: BudgetSettings["action"];
}

/** Every configured limit, a budget with both amounts giving two. */
export function resolveLimits(budgets: readonly BudgetSettings[]): BudgetLimit[] {
  return budgets.flatMap((b) => {
    const amounts: Record<BudgetWindow, number | undefined> = { day: b.daily, month: b.monthly };
    return BUDGET_WINDOWS.flatMap((window) => {
      const limitUsd = amounts[window];
      if (limitUsd === undefined) return [];
      const scope: BudgetScope = b.bot !== undefined ? "bot" : "owner";
      return [
        { scope, name: (b.bot ?? b.owner)!, window, limitUsd, warnAt: b.warnAt, action: b.action },
      ];
    });
  });
}
