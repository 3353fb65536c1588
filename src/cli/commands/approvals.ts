import type { Command } from "commander";
import type { Autonomy } from "../../approvals/policy.js";
import type { HumanDecision, PendingApproval } from "../../approvals/service.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig } from "../context.js";
import { callDaemon, daemonEndpoint } from "../daemon-client.js";
import { EXIT, emit, table } from "../output.js";

/**
 * `clawops approvals`: the execs waiting on the gateways for a decision;
 * `clawops approve|deny BOT ID`: a human's decision (docs/approvals.md).
 * Through the daemon only: it holds the gateways' approval routes.
 */
export function registerApprovalCommands(program: Command) {
  program
    .command("approvals")
    .description("execs the bots' gateways wait on for a decision, and each bot's autonomy level")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions) => {
        const { config } = loadCliConfig(options);
        const answer = await callDaemon<{
          approvals: PendingApproval[];
          autonomy: Record<string, Autonomy>;
          unanswered: { host: string; reason: string }[];
        }>(daemonEndpoint(config), "/api/v1/approvals");
        emit(options, answer, ({ approvals, unanswered }) =>
          [
            render(approvals),
            // Another host's daemon holds its gateways' execs (docs/hosts.md): say whose are missing.
            ...unanswered.map(
              (u) => `not listed: the execs of host ${u.host}'s bots (${u.reason})`,
            ),
          ].join("\n"),
        );
        return EXIT.ok;
      }),
    );

  for (const [verb, decision] of [
    ["approve", "allow-once"],
    ["deny", "deny"],
  ] as const) {
    program
      .command(verb)
      .argument("<bot>", "the bot whose gateway asks")
      .argument("<id>", "the approval's id (or its first 8+ characters), from clawops approvals")
      .description(
        verb === "approve"
          ? "let a waiting exec run, once"
          : "refuse a waiting exec: the agent is told it was denied",
      )
      .option("--json", "print JSON")
      .action(
        act(async (options: CommandOptions, bot: string, id: string) => {
          const answer = await decide(options, bot, id, decision);
          emit(
            options,
            answer,
            ({ approval }) =>
              `${decision === "deny" ? "denied" : "allowed once"}: ${approval.bot} ${approval.id} ${approval.command}`,
          );
          return EXIT.ok;
        }),
      );
  }
}

function decide(options: CommandOptions, bot: string, id: string, decision: HumanDecision) {
  const { config } = loadCliConfig(options);
  const path = `/api/v1/bots/${encodeURIComponent(bot)}/approvals/${encodeURIComponent(id)}`;
  return callDaemon<{ approval: PendingApproval; decision: HumanDecision }>(
    daemonEndpoint(config),
    path,
    { method: "POST", body: { decision } },
  );
}

function render(approvals: PendingApproval[]): string {
  if (approvals.length === 0) return "no exec waits for a decision";
  return table(
    ["BOT", "ID", "COMMAND", "HOST", "POLICY", "EXPIRES"],
    approvals.map((a) => [
      a.bot,
      a.id.slice(0, 8),
      a.command.length > 60 ? `${a.command.slice(0, 57)}...` : a.command,
      a.host,
      `${a.policy.decision} (${a.policy.by})`,
      a.expiresAt,
    ]),
  );
}
