import { Command } from "commander";
import { CLAWOPS_VERSION } from "../core/version.js";

type Register = (program: Command) => void;

/**
 * Each registrar with the top-level commands it adds, in the order help lists
 * them. A run loads the one registrar its command needs: a command's module
 * brings its whole implementation (the daemon's for `up`), and loading every
 * one cost about 2 s of CPU for any `clawops` call. `program.test.ts` checks
 * this table against what each registrar really adds.
 */
export const REGISTRARS: readonly {
  commands: readonly string[];
  load: () => Promise<Register>;
}[] = [
  { commands: ["up"], load: async () => (await import("./commands/up.js")).registerUp },
  { commands: ["status"], load: async () => (await import("./commands/status.js")).registerStatus },
  { commands: ["health"], load: async () => (await import("./commands/health.js")).registerHealth },
  {
    commands: ["version"],
    load: async () => (await import("./commands/version.js")).registerVersion,
  },
  {
    commands: ["openclaw"],
    load: async () => (await import("./commands/openclaw.js")).registerOpenClawCommands,
  },
  { commands: ["bot"], load: async () => (await import("./commands/bot.js")).registerBotCommands },
  { commands: ["chat"], load: async () => (await import("./commands/chat.js")).registerChat },
  { commands: ["load"], load: async () => (await import("./commands/load.js")).registerLoad },
  { commands: ["verify"], load: async () => (await import("./commands/verify.js")).registerVerify },
  {
    commands: ["readiness"],
    load: async () => (await import("./commands/readiness.js")).registerReadiness,
  },
  { commands: ["events"], load: async () => (await import("./commands/events.js")).registerEvents },
  {
    commands: ["sessions", "session", "cost"],
    load: async () => (await import("./commands/sessions.js")).registerSessionCommands,
  },
  {
    commands: ["task"],
    load: async () => (await import("./commands/task.js")).registerTaskCommands,
  },
  {
    commands: ["schedule"],
    load: async () => (await import("./commands/schedule.js")).registerScheduleCommands,
  },
  {
    commands: ["budget"],
    load: async () => (await import("./commands/budget.js")).registerBudgetCommands,
  },
  {
    commands: ["approvals", "approve", "deny"],
    load: async () => (await import("./commands/approvals.js")).registerApprovalCommands,
  },
  {
    commands: ["gateway"],
    load: async () => (await import("./commands/gateway.js")).registerGatewayCommands,
  },
  { commands: ["doctor"], load: async () => (await import("./commands/doctor.js")).registerDoctor },
  {
    commands: ["provision"],
    load: async () => (await import("./commands/provision.js")).registerProvision,
  },
  {
    commands: ["repair", "repairs", "pause", "resume"],
    load: async () => (await import("./commands/repair.js")).registerRepairCommands,
  },
  {
    commands: ["config"],
    load: async () => (await import("./commands/config.js")).registerConfigCommands,
  },
  {
    commands: ["monitoring"],
    load: async () => (await import("./commands/monitoring.js")).registerMonitoringCommands,
  },
  {
    commands: ["vault"],
    load: async () => (await import("./commands/vault.js")).registerVaultCommands,
  },
  {
    commands: ["user", "token", "audit", "org"],
    load: async () => (await import("./commands/access.js")).registerAccessCommands,
  },
  {
    commands: ["backup", "restore"],
    load: async () => (await import("./commands/backup.js")).registerBackupCommands,
  },
  {
    commands: ["service"],
    load: async () => (await import("./commands/service.js")).registerServiceCommands,
  },
];

/**
 * Builds the `clawops` program. Program options come before the command:
 * `clawops --config F status`. With `argv`, only the registrar of the command
 * it names is loaded; without one (help, a typo, no command), all of them.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command("clawops")
    .description("operations control plane for self-hosted OpenClaw gateways")
    .version(CLAWOPS_VERSION, "-V, --version")
    .option(
      "-c, --config <file>",
      "clawops.yaml to use (env CLAWOPS_CONFIG; default ./clawops.yaml)",
    )
    .option("--json", "print JSON (also accepted after the command)")
    .enablePositionalOptions()
    .showHelpAfterError('(run "clawops help" for the commands)')
    .exitOverride();
  const named = argv ? commandOf(argv) : null;
  const one = REGISTRARS.find((r) => named !== null && r.commands.includes(named));
  for (const register of await Promise.all((one ? [one] : REGISTRARS).map((r) => r.load())))
    register(program);
  for (const command of allCommands(program)) command.exitOverride();
  return program;
}

/** The command `argv` (as `process.argv`) names: its first word that is not a program option. */
export function commandOf(argv: readonly string[]): string | null {
  const words = argv.slice(2);
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    if (word === "--") return null;
    if (word === "-c" || word === "--config") i += 1;
    else if (!word.startsWith("-")) return word;
  }
  return null;
}

export function allCommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allCommands(c)]);
}
