import { z } from "zod";

/**
 * How much a bot's agent may do without a human (docs/approvals.md):
 * - `autonomous`: clawops is no approval route: the gateway applies its own
 *   exec policy alone (an exec that would ask is denied, since nobody answers);
 * - `on-the-loop`: clawops decides by the rules, allows what no rule
 *   catches, and tells the operators;
 * - `in-the-loop`: clawops decides by the rules and asks a human for what
 *   no rule catches.
 */
export const AUTONOMY_LEVELS = ["autonomous", "on-the-loop", "in-the-loop"] as const;
export type Autonomy = (typeof AUTONOMY_LEVELS)[number];

/** What a rule or a human decides; `ask` leaves it to a human. */
export const RULE_DECISIONS = ["allow", "deny", "ask"] as const;
export type RuleDecision = (typeof RULE_DECISIONS)[number];

const pattern = z
  .string()
  .min(1)
  .max(500)
  .describe("a glob: `*` is any text, `?` one character; the whole text must match");

const ruleSchema = z.strictObject({
  /** Which bots it applies to (a glob on the name); every bot when unset. */
  bot: pattern.optional(),
  /** The command as the gateway shows it (`commandText`), e.g. `rm *`. */
  command: pattern.optional(),
  /** Where it would run: `gateway` or `node`. */
  host: z.enum(["gateway", "node"]).optional(),
  decision: z.enum(RULE_DECISIONS),
  /** Said with the decision, in the audit trail and to the operators. */
  reason: z.string().min(1).max(200).optional(),
});
export type ApprovalRule = z.output<typeof ruleSchema>;

const taskRuleSchema = z.strictObject({
  /** Which bots it applies to (a glob on the name); every bot when unset. */
  bot: pattern.optional(),
  /** The task's prompt, ignoring case (`*deploy*`); every prompt when unset. */
  prompt: pattern.optional(),
  /** `ask`: a person approves it before it runs; `deny`: refused; `allow`: runs at once. */
  decision: z.enum(RULE_DECISIONS),
  /** Said with the decision, on the card and in the audit trail. */
  reason: z.string().min(1).max(200).optional(),
});
export type TaskRule = z.output<typeof taskRuleSchema>;

/** The `approvals` section of clawops.yaml. */
export const approvalsConfigSchema = z
  .strictObject({
    /** Every bot's autonomy unless `bots` names another for it. */
    autonomy: z.enum(AUTONOMY_LEVELS).default("autonomous"),
    bots: z.record(z.string(), z.enum(AUTONOMY_LEVELS)).default({}),
    /** Exec approvals: checked in order; the first that matches decides. */
    rules: z.array(ruleSchema).default([]),
    /** Gates for tasks (docs/tasks.md "Gates"): checked in order; the first that matches decides. */
    tasks: z.array(taskRuleSchema).default([]),
  })
  .prefault({});
export type ApprovalsConfig = z.output<typeof approvalsConfigSchema>;

/** What the policy makes of one request. */
export interface PolicyVerdict {
  decision: RuleDecision;
  /** `rule 2` (1-based, as in clawops.yaml) or `autonomy on-the-loop`. */
  by: string;
  reason: string;
}

/** A bot's autonomy level. */
export function autonomyOf(config: ApprovalsConfig, bot: string): Autonomy {
  return config.bots[bot] ?? config.autonomy;
}

/** An exec request as the policy sees it. */
export interface PolicyRequest {
  command: string;
  host: string;
  /**
   * Several commands in one (`a; b`, `a && b`, `a | b`, `$(b)`, a newline),
   * by the gateway's analysis or the text: an `allow` rule never allows those,
   * since `echo *` would otherwise allow `echo x; rm -rf /`.
   */
  chained: boolean;
}

/** Whether a command text chains or nests commands, whatever the gateway's analysis says. */
export function looksChained(command: string): boolean {
  return /[;&|`\n]|\$\(/.test(command);
}

/**
 * The decision for an exec request of `bot`: the first matching rule's, else
 * the autonomy's default (`on-the-loop` allows, `in-the-loop` asks). Pure.
 */
export function resolvePolicy(
  config: ApprovalsConfig,
  bot: string,
  request: PolicyRequest,
): PolicyVerdict {
  const ruled = firstRule(
    config.rules,
    "rules",
    (rule) =>
      !(rule.decision === "allow" && request.chained) &&
      (rule.bot === undefined || globMatches(rule.bot, bot)) &&
      (rule.command === undefined || globMatches(rule.command, request.command)) &&
      (rule.host === undefined || rule.host === request.host),
  );
  if (ruled) return ruled;
  const autonomy = autonomyOf(config, bot);
  return autonomy === "in-the-loop"
    ? { decision: "ask", by: "autonomy in-the-loop", reason: "no rule matched: a human decides" }
    : request.chained
      ? {
          decision: "ask",
          by: `autonomy ${autonomy}`,
          reason: "several commands in one: a human decides",
        }
      : { decision: "allow", by: `autonomy ${autonomy}`, reason: "no rule matched" };
}

/**
 * Whether a new task of `bot` runs at once, waits for a person, or is
 * refused: a gate its creator asked for (`requested`), else the first
 * matching task rule, else it runs. Not the bot's autonomy: that is about
 * the agent's execs, and a person who puts a task on the board is already
 * in its loop (a rule `{bot, decision: ask}` gates every task of a bot). Pure.
 */
export function resolveTaskGate(
  config: ApprovalsConfig,
  bot: string,
  prompt: string,
  requested = false,
): PolicyVerdict {
  if (requested)
    return { decision: "ask", by: "requested", reason: "its creator asked for an approval" };
  return (
    firstRule(
      config.tasks,
      "tasks",
      (rule) =>
        (rule.bot === undefined || globMatches(rule.bot, bot)) &&
        (rule.prompt === undefined || globMatches(rule.prompt.toLowerCase(), prompt.toLowerCase())),
    ) ?? { decision: "allow", by: "no rule", reason: "no rule of approvals.tasks matched" }
  );
}

/** The verdict of the first of `approvals.<list>` that `matches`, named `rule N` (1-based); null: none. */
function firstRule<R extends { decision: RuleDecision; reason?: string }>(
  rules: readonly R[],
  list: "rules" | "tasks",
  matches: (rule: R) => boolean,
): PolicyVerdict | null {
  const index = rules.findIndex(matches);
  if (index < 0) return null;
  const rule = rules[index]!;
  return {
    decision: rule.decision,
    by: `rule ${index + 1}`,
    reason: rule.reason ?? `approvals.${list}[${index}] says ${rule.decision}`,
  };
}

/** Whether `text` matches the glob `pattern` as a whole (`*` any text, `?` one character). */
export function globMatches(pattern: string, text: string): boolean {
  const source = [...pattern]
    .map((c) =>
      c === "*" ? "[\\s\\S]*" : c === "?" ? "[\\s\\S]" : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${source}$`).test(text);
}
