import type { Command } from "commander";
import { BudgetLedger, type BudgetStatus } from "../../budget/ledger.js";
import { budgetName, usd, utcMinute } from "../../budget/messages.js";
import { resolveLimits } from "../../budget/settings.js";
import type { BudgetState } from "../../core/budget.js";
import { isOpsError } from "../../core/errors.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig, withRegistry } from "../context.js";
import { callDaemon, daemonEndpoint } from "../daemon-client.js";
import { EXIT, emit, table } from "../output.js";

/** `clawops budget`: every budget's spend and state; `clawops budget resume <bot>`. */
export function registerBudgetCommands(program: Command) {
  const budget = program
    .command("budget")
    .description(
      "spending budgets (clawops.yaml `budgets`): spend, limit and state of each, this UTC day and month",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions) => {
        const budgets = await withRegistry(options, ({ store, bus, config }) =>
          new BudgetLedger({
            store,
            bus,
            limits: resolveLimits(config.budgets),
            now: Date.now,
          }).status(),
        );
        emit(options, { budgets }, ({ budgets: list }) => renderStatus(list));
        return EXIT.ok;
      }),
    );

  budget
    .command("resume")
    .argument("<bot>", "bot name or id")
    .description(
      "lift the budget pause that holds a bot (its own, or its owner's: that lifts it for all the owner's bots) until the next period",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, bot: string) => {
        const lifted = await resume(options, bot);
        const answer = { resumed: lifted.length > 0, lifted };
        emit(options, answer, () =>
          lifted.length > 0
            ? `${bot} resumed: lifted ${lifted.map(budgetName).join(", ")} pause until the next period`
            : `${bot} was not paused by a budget`,
        );
        return EXIT.ok;
      }),
    );
}

/** Through the daemon when it runs (it also notifies); otherwise straight into the store. */
async function resume(options: CommandOptions, bot: string): Promise<BudgetState[]> {
  const loaded = loadCliConfig(options);
  try {
    const path = `/api/v1/bots/${encodeURIComponent(bot)}/budget/resume`;
    return (
      await callDaemon<{ lifted: BudgetState[] }>(daemonEndpoint(loaded.config), path, {
        method: "POST",
      })
    ).lifted;
  } catch (error) {
    if (!isOpsError(error) || error.code !== "DAEMON_NOT_RUNNING") throw error;
  }
  return withRegistry(
    options,
    ({ store, bus, config }) =>
      new BudgetLedger({ store, bus, limits: resolveLimits(config.budgets), now: Date.now }).resume(
        bot,
        "cli",
      ),
    loaded,
  );
}

function renderStatus(list: BudgetStatus[]): string {
  if (list.length === 0) return "no budgets (set `budgets` in clawops.yaml: docs/budgets.md)";
  return table(
    ["SCOPE", "PERIOD", "SPENT", "LIMIT", "%", "STATE", "ACTION", "RESETS"],
    list.map((b) => [
      `${b.scope} ${b.name}`,
      b.window === "day" ? b.periodStart.slice(0, 10) : b.periodStart.slice(0, 7),
      usd(b.spentUsd),
      usd(b.limitUsd),
      `${b.percent}`,
      stateOf(b),
      b.action,
      utcMinute(b.resetsAt),
    ]),
  );
}

function stateOf(b: BudgetStatus): string {
  if (b.paused) return "paused";
  if (b.level === "exceeded" && b.action === "pause" && b.announced === "exceeded")
    return "exceeded (resumed)";
  return b.level;
}
