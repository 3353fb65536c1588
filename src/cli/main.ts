import { Command, CommanderError } from "commander";
import { CLAWOPS_VERSION } from "../core/version.js";
import { registerAccessCommands } from "./commands/access.js";
import { registerBackupCommands } from "./commands/backup.js";
import { registerBotCommands } from "./commands/bot.js";
import { registerApprovalCommands } from "./commands/approvals.js";
import { registerBudgetCommands } from "./commands/budget.js";
import { registerChat } from "./commands/chat.js";
import { registerLoad } from "./commands/load.js";
import { registerVerify } from "./commands/verify.js";
import { registerReadiness } from "./commands/readiness.js";
import { registerConfigCommands } from "./commands/config.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerProvision } from "./commands/provision.js";
import { registerRepairCommands } from "./commands/repair.js";
import { registerEvents } from "./commands/events.js";
import { registerGatewayCommands } from "./commands/gateway.js";
import { registerMonitoringCommands } from "./commands/monitoring.js";
import { registerOpenClawCommands } from "./commands/openclaw.js";
import { registerSessionCommands } from "./commands/sessions.js";
import { registerScheduleCommands } from "./commands/schedule.js";
import { registerTaskCommands } from "./commands/task.js";
import { registerServiceCommands } from "./commands/service.js";
import { registerStatus } from "./commands/status.js";
import { registerHealth } from "./commands/health.js";
import { registerUp } from "./commands/up.js";
import { registerVaultCommands } from "./commands/vault.js";
import { registerVersion } from "./commands/version.js";
import { EXIT } from "./output.js";

/** Builds the `clawops` program. Program options come before the command: `clawops --config F status`. */
export function buildProgram(): Command {
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
  registerUp(program);
  registerStatus(program);
  registerHealth(program);
  registerVersion(program);
  registerOpenClawCommands(program);
  registerBotCommands(program);
  registerChat(program);
  registerLoad(program);
  registerVerify(program);
  registerReadiness(program);
  registerEvents(program);
  registerSessionCommands(program);
  registerTaskCommands(program);
  registerScheduleCommands(program);
  registerBudgetCommands(program);
  registerApprovalCommands(program);
  registerGatewayCommands(program);
  registerDoctor(program);
  registerProvision(program);
  registerRepairCommands(program);
  registerConfigCommands(program);
  registerMonitoringCommands(program);
  registerVaultCommands(program);
  registerAccessCommands(program);
  registerBackupCommands(program);
  registerServiceCommands(program);
  for (const command of allCommands(program)) command.exitOverride();
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allCommands(c)]);
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    // Commander already printed its message; usage errors exit 2, help and version 0.
    if (error instanceof CommanderError)
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    else throw error;
  }
}

await main(process.argv);
