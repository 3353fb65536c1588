import path from "node:path";
import { type Command, Option } from "commander";
import { type Bot, type BotUpdate, DESIRED_STATES } from "../../core/bot.js";
import { isOpsError } from "../../core/errors.js";
import type { GatewayInstance } from "../../core/gateway-state.js";
import { requireBot } from "../../fleet/registry.js";
import { type BotChange, changeBot, removeBot } from "../../fleet/update.js";
import { Supervisor } from "../../supervisor/supervisor.js";
import { act } from "../act.js";
import { gatewayConfigOption, parseLabel, parsePort } from "../arguments.js";
import { type CommandOptions, commandLogger, loadCliConfig, withRegistry } from "../context.js";
import { type DaemonEndpoint, callDaemon, daemonEndpoint } from "../daemon-client.js";
import { EXIT, emit } from "../output.js";
import { lifecycleTimeoutMs } from "./lifecycle.js";

interface SetOptions extends CommandOptions {
  port?: number;
  openclawConfig?: string;
  label?: Record<string, string>;
  owner?: string;
  desired?: BotUpdate["desiredState"];
}

type SetAnswer = BotChange & { note?: string };

interface RemoveAnswer {
  removed: Bot;
  stopped: GatewayInstance | null;
}

/**
 * `clawops bot set` and `clawops bot remove`: through the daemon when it runs
 * (it restarts, starts or stops the gateway the change concerns), else on
 * the store directly.
 */
export function registerBotUpdateCommands(bot: Command) {
  bot
    .command("set")
    .argument("<name>", "bot name or id")
    .description(
      "change a bot's port, config, labels, owner or desired state; a running gateway whose port or config changed is restarted (drained)",
    )
    .option("--port <port>", "gateway port", parsePort)
    .addOption(gatewayConfigOption("the gateway's openclaw.json"))
    .option("--label <key=value>", "set a label, or remove it with key= (repeatable)", parseLabel)
    .option("--owner <owner>", 'who is responsible for it ("" clears it)')
    .addOption(
      new Option("--desired <state>", "desired state: starts or stops the gateway").choices(
        DESIRED_STATES,
      ),
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: SetOptions, name: string) => {
        const answer = await setBot(options, name);
        emit(options, answer, renderSet);
        const acted = answer.gatewayAction === "restarted" || answer.gatewayAction === "started";
        const up = ["running", "degraded"].includes(answer.gateway?.state ?? "stopped");
        return acted && !up ? EXIT.failure : EXIT.ok;
      }),
    );

  bot
    .command("remove")
    .argument("<name>", "bot name or id")
    .description("remove a bot from the registry (its state dir and config are kept)")
    .option("--force", "stop its running gateway first (otherwise a running one is refused)")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions & { force?: boolean }, name: string) => {
        const answer = await removeOne(options, name, options.force === true);
        emit(options, answer, ({ removed: b, stopped }) =>
          [
            stopped ? `stopped ${b.name}'s gateway (${stopped.reason}); ` : "",
            `removed ${b.name} from the registry; files kept in ${b.stateDir}`,
          ].join(""),
        );
        return EXIT.ok;
      }),
    );
}

async function setBot(options: SetOptions, name: string): Promise<SetAnswer> {
  const loaded = loadCliConfig(options);
  const endpoint = daemonEndpoint(loaded.config);
  const current =
    (await orNoDaemon(endpoint, (e) =>
      callDaemon<{ bot: Bot }>(e, botPath(name)).then((answer) => answer.bot),
    )) ?? (await withRegistry(options, (deps) => requireBot(deps.store, name), loaded));
  const update = updateOf(options, current);
  const sent = await orNoDaemon(endpoint, (e) =>
    callDaemon<BotChange>(e, botPath(current.name), {
      method: "PATCH",
      body: update,
      timeoutMs: lifecycleTimeoutMs(loaded.config),
    }),
  );
  if (sent) return sent;
  const change = await withRegistry(
    options,
    (deps) => changeBot(deps, null, current.id, update, "cli"),
    loaded,
  );
  return {
    ...change,
    note: `the daemon is not running: the registry was changed; the gateway uses it from its next start ("clawops up")`,
  };
}

/** The update the options ask for; labels are merged into the bot's (an empty value removes one). */
function updateOf(options: SetOptions, current: Bot): BotUpdate {
  const update: BotUpdate = {};
  if (options.port !== undefined) update.port = options.port;
  if (options.openclawConfig !== undefined)
    update.configPath = path.resolve(options.openclawConfig);
  if (options.owner !== undefined) update.owner = options.owner === "" ? null : options.owner;
  if (options.desired !== undefined) update.desiredState = options.desired;
  if (options.label !== undefined) {
    const labels = { ...current.labels, ...options.label };
    update.labels = Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ""));
  }
  return update;
}

async function removeOne(
  options: CommandOptions,
  name: string,
  force: boolean,
): Promise<RemoveAnswer> {
  const loaded = loadCliConfig(options);
  const query = force ? "?force=true" : "";
  const endpoint = daemonEndpoint(loaded.config);
  const sent = await orNoDaemon(endpoint, (e) =>
    callDaemon<RemoveAnswer>(e, `${botPath(name)}${query}`, {
      method: "DELETE",
      timeoutMs: lifecycleTimeoutMs(loaded.config),
    }),
  );
  if (sent) return sent;
  // No daemon: a forced removal stops a gateway a stopped clawops left running (as `bot stop` does).
  return withRegistry(
    options,
    async (deps) => {
      const supervisor = force
        ? new Supervisor({
            config: loaded.config,
            store: deps.store,
            bus: deps.bus,
            log: commandLogger(),
          })
        : null;
      try {
        return await removeBot(deps, supervisor, name, "cli", { force });
      } finally {
        await supervisor?.shutdown();
      }
    },
    loaded,
  );
}

function botPath(name: string): string {
  return `/api/v1/bots/${encodeURIComponent(name)}`;
}

/**
 * The daemon's answer; null when no daemon runs (the caller then works on
 * the store). Without a local credential this data dir's daemon never ran:
 * nothing is sent (another program on the port is not asked).
 */
async function orNoDaemon<T>(
  endpoint: DaemonEndpoint,
  call: (endpoint: DaemonEndpoint) => Promise<T>,
): Promise<T | null> {
  if (endpoint.credential === null) return null;
  try {
    return await call(endpoint);
  } catch (error) {
    if (isOpsError(error) && error.code === "DAEMON_NOT_RUNNING") return null;
    throw error;
  }
}

function renderSet(answer: SetAnswer): string {
  const { bot, changed, gateway, gatewayAction } = answer;
  if (changed.length === 0) return `${bot.name}: nothing to change`;
  const lines = [`updated ${bot.name}: ${changed.join(", ")}`];
  if (gatewayAction && gateway) {
    const pid = gateway.pid ? `, pid ${gateway.pid}` : "";
    lines.push(
      `gateway ${gatewayAction}: ${gateway.state}${pid}, port ${bot.port} (${gateway.reason})`,
    );
  }
  if (answer.note) lines.push(answer.note);
  return lines.join("\n");
}
