import type { Command } from "commander";
import type { LoadedConfig } from "../../config/load.js";
import { formatDurationMs } from "../../core/duration.js";
import { isOpsError } from "../../core/errors.js";
import type { Bot } from "../../core/bot.js";
import type { GatewayInstance } from "../../core/gateway-state.js";
import { requireBot } from "../../fleet/registry.js";
import { Supervisor } from "../../supervisor/supervisor.js";
import { act } from "../act.js";
import { type CommandOptions, commandLogger, loadCliConfig, withRegistry } from "../context.js";
import { callDaemon, daemonEndpoint } from "../daemon-client.js";
import { EXIT, emit } from "../output.js";

type Action = "start" | "stop" | "restart";

export interface LifecycleAnswer {
  bot: Bot;
  gateway: GatewayInstance | null;
  /** Set when the daemon was not running and only the desired state was recorded. */
  note?: string;
  /** When the command was sent: an exit before it belongs to an earlier incident. */
  requestedAt?: string;
}

const DESCRIPTIONS: Record<Action, string> = {
  start: "start a bot's gateway and wait until it is live (or says why not)",
  stop: "stop a bot's gateway: SIGTERM, the drain budget, then SIGKILL for the whole group",
  restart: "stop, then start a bot's gateway",
};

/** `clawops bot start|stop|restart <name>`: through the daemon, which supervises what it starts. */
export function registerLifecycleCommands(bot: Command) {
  for (const action of ["start", "stop", "restart"] as const) {
    bot
      .command(action)
      .argument("<name>", "bot name or id")
      .description(DESCRIPTIONS[action])
      .option("--json", "print JSON")
      .action(
        act(async (options: CommandOptions, name: string) => {
          const answer = await lifecycle(options, action, name);
          emit(options, answer, renderLifecycle);
          const want = action === "stop" ? ["stopped"] : ["running", "degraded"];
          const state = answer.gateway?.state ?? "stopped";
          return answer.note || want.includes(state) ? EXIT.ok : EXIT.failure;
        }),
      );
  }
}

/** Starts, stops or restarts a bot through the daemon; without one, records the wish. */
export async function lifecycle(
  options: CommandOptions,
  action: Action,
  name: string,
  loaded: LoadedConfig = loadCliConfig(options),
): Promise<LifecycleAnswer> {
  const { config } = loaded;
  const path = `/api/v1/bots/${encodeURIComponent(name)}/${action}`;
  if (process.stderr.isTTY && !options.json && action !== "stop")
    process.stderr.write(`${action}ing ${name}…\n`);
  const requestedAt = new Date().toISOString();
  try {
    const answer = await callDaemon<LifecycleAnswer>(daemonEndpoint(config), path, {
      method: "POST",
      timeoutMs: lifecycleTimeoutMs(config),
    });
    return { ...answer, requestedAt };
  } catch (error) {
    if (!isOpsError(error) || error.code !== "DAEMON_NOT_RUNNING" || action === "restart")
      throw error;
  }
  // No daemon: record the wish; a stop also ends a gateway a stopped clawops left running.
  return withRegistry(
    options,
    async ({ store, bus }) => {
      if (action === "start") {
        const found = await requireBot(store, name);
        const bot = await store.updateBot(found.id, { desiredState: "running" });
        return {
          bot,
          gateway: await store.getInstance(bot.id),
          note: `the daemon is not running: ${bot.name} is marked to run and starts with "clawops up"`,
        };
      }
      const supervisor = new Supervisor({ config, store, bus, log: commandLogger() });
      const gateway = await supervisor.stop(name, "cli");
      await supervisor.shutdown();
      return { bot: await requireBot(store, name), gateway };
    },
    loaded,
  );
}

/** How long a call that stops and starts a gateway may take: its stop, boot and readiness, and a margin. */
export function lifecycleTimeoutMs(config: LoadedConfig["config"]): number {
  const { startTimeout, readyTimeout, stopTimeout } = config.supervisor;
  return startTimeout + readyTimeout + stopTimeout + 10_000;
}

export function renderLifecycle(answer: LifecycleAnswer): string {
  const { bot, gateway: g } = answer;
  if (answer.note) return answer.note;
  if (!g) return `${bot.name} stopped (never started)`;
  const head = `${bot.name} ${g.state}`;
  if (g.state === "running" || g.state === "degraded") {
    const uptime = g.startedAt
      ? `, up ${formatDurationMs(Date.now() - Date.parse(g.startedAt))}`
      : "";
    return `${head}: pid ${g.pid}, port ${bot.port}${uptime} (${g.reason})`;
  }
  if (g.state === "stopped") return `${head} (${g.reason})`;
  // An exit from before this command is an earlier incident, not why this one failed.
  const exit =
    g.lastExit && (!answer.requestedAt || g.lastExit.at >= answer.requestedAt) ? g.lastExit : null;
  const tail = exit?.logTail?.length
    ? `\nlast output:\n  ${exit.logTail.slice(-10).join("\n  ")}`
    : "";
  const last = exit && !g.reason.includes(exit.reason) ? `\nlast failure: ${exit.reason}` : "";
  return `${head}: ${g.reason}${last}${tail}`;
}
