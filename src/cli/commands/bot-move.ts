import type { Command } from "commander";
import type { Bot } from "../../core/bot.js";
import type { GatewayInstance } from "../../core/gateway-state.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig } from "../context.js";
import { callDaemon, daemonEndpoint } from "../daemon-client.js";
import { EXIT, emit } from "../output.js";
import { lifecycleTimeoutMs, renderLifecycle } from "./lifecycle.js";

interface MoveOptions extends CommandOptions {
  to: string;
  force?: boolean;
}

interface MoveAnswer {
  bot: Bot;
  from: string | null;
  to: string;
  forced: boolean;
  gateway: GatewayInstance | null;
  moved: boolean;
}

/**
 * `clawops bot move NAME --to HOST`: through the daemons (the new host's does
 * it, asking the old host's to stop the gateway). docs/hosts.md "Moving a bot".
 */
export function registerBotMove(bot: Command) {
  bot
    .command("move")
    .argument("<name>", "bot name or id")
    .requiredOption("--to <host>", "the host that runs it from now on (clawops status lists them)")
    .option(
      "--force",
      "move it although its host is unreachable: only when that host is gone for good (its gateway may still run there)",
    )
    .option("--json", "print JSON")
    .description(
      "give a bot to another host of the fleet: its gateway stopped on the old host, started on the new one when it was running; its config and state dir must already be on the new host",
    )
    .action(
      act(async (options: MoveOptions, name: string) => {
        const { config } = loadCliConfig(options);
        if (process.stderr.isTTY && !options.json)
          process.stderr.write(`moving ${name} to host ${options.to}…\n`);
        const answer = await callDaemon<MoveAnswer>(
          daemonEndpoint(config),
          `/api/v1/bots/${encodeURIComponent(name)}/move`,
          {
            method: "POST",
            body: { to: options.to, force: options.force === true },
            // The old host's stop and the new host's boot, one hop further.
            timeoutMs: lifecycleTimeoutMs(config) + 10_000,
          },
        );
        emit(options, answer, renderMove);
        const state = answer.gateway?.state;
        return answer.gateway === null || state === "running" || state === "degraded"
          ? EXIT.ok
          : EXIT.failure;
      }),
    );
}

function renderMove(answer: MoveAnswer): string {
  const { bot, from, to } = answer;
  if (!answer.moved) return `${bot.name} is already host ${to}'s`;
  const head = `${bot.name} moved from host ${from ?? "(none)"} to ${to}${answer.forced ? " (forced: its old host was unreachable)" : ""}`;
  return answer.gateway
    ? `${head}\n${renderLifecycle({ bot, gateway: answer.gateway })}`
    : `${head}; it stays stopped (it was not running): clawops bot start ${bot.name}`;
}
