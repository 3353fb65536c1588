import { type Command, Option } from "commander";
import { DEFAULT_ORG } from "../../core/access.js";
import { type Bot, type BotInput, DESIRED_STATES, DRIVERS } from "../../core/bot.js";
import { registerBot, requireBot } from "../../fleet/registry.js";
import { act } from "../act.js";
import { gatewayConfigOption, parseLabel, parsePort } from "../arguments.js";
import { type CommandOptions, withRegistry } from "../context.js";
import { EXIT, emit, table } from "../output.js";
import { describeListener, findTcpListener } from "../../system/proc.js";
import { registerBotCreate } from "./bot-create.js";
import { registerBotUpdateCommands } from "./bot-update.js";
import { registerLifecycleCommands } from "./lifecycle.js";
import { registerBotMove } from "./bot-move.js";
import { registerRotateToken } from "./bot-token.js";

interface AddOptions extends CommandOptions {
  port?: number;
  owner?: string;
  driver?: BotInput["driver"];
  stateDir?: string;
  openclawConfig?: string;
  desired?: BotInput["desiredState"];
  label?: Record<string, string>;
  openclawBin?: string;
  allowMissing?: boolean;
  org?: string;
}

export function registerBotCommands(program: Command) {
  const bot = program
    .command("bot")
    .description("manage the fleet registry (one bot = one OpenClaw gateway)");

  bot
    .command("add")
    .argument("<name>", "bot name: lowercase letters, digits, '-' or '_'")
    .description("register a bot (its files are not created or changed)")
    .option(
      "--port <port>",
      "gateway port (default: the next free one from fleet.portBase)",
      parsePort,
    )
    .option("--owner <owner>", "who is responsible for it")
    .addOption(new Option("--driver <driver>", "how the gateway runs").choices(DRIVERS))
    .option(
      "--state-dir <dir>",
      "the gateway's OPENCLAW_STATE_DIR (default: <dataDir>/bots/<name>)",
    )
    .addOption(
      gatewayConfigOption("the gateway's openclaw.json (default: <state-dir>/openclaw.json)"),
    )
    .option(
      "--openclaw-bin <path>",
      "the openclaw CLI for this bot (default: openclaw.bin in clawops.yaml)",
    )
    .option("--allow-missing", "register it although its config does not exist yet")
    .addOption(new Option("--desired <state>", "desired state").choices(DESIRED_STATES))
    .option("--label <key=value>", "a label (repeatable)", parseLabel, {})
    .option(
      "--org <name>",
      `the organisation it belongs to (default "${DEFAULT_ORG}"); only its principals see it`,
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: AddOptions, name: string) => {
        // `--config` here is the gateway's config; the program's own is taken before the command.
        const input: BotInput = {
          name,
          port: options.port,
          owner: options.owner,
          driver: options.driver,
          stateDir: options.stateDir,
          configPath: options.openclawConfig,
          desiredState: options.desired,
          labels: options.label,
          openclawBin: options.openclawBin,
          org: options.org,
        };
        const created = await withRegistry(options, (deps) =>
          registerBot(deps, dropUndefined(input), "cli", {
            allowMissingConfig: options.allowMissing === true,
          }),
        );
        emit(
          options,
          { bot: created },
          ({ bot: b }) => `registered ${b.name} on port ${b.port} (${b.stateDir})`,
        );
        const holder = created.driver === "process" ? findTcpListener(created.port) : null;
        if (holder) {
          process.stderr.write(
            `clawops: note: port ${created.port} is in use now by ${describeListener(holder)}; ${created.name} cannot start until it is free (or register it with --driver adopted if that is its gateway)\n`,
          );
        }
        return EXIT.ok;
      }),
    );

  bot
    .command("list")
    .description("list registered bots (every organisation's)")
    .option("--org <name>", "only this organisation's")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions & { org?: string }) => {
        const query = options.org === undefined ? {} : { org: options.org };
        const bots = await withRegistry(options, (deps) => deps.store.listBots(query));
        emit(options, { bots }, ({ bots: list }) => renderBots(list));
        return EXIT.ok;
      }),
    );

  bot
    .command("show")
    .argument("<name>", "bot name or id")
    .description("show one bot")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, name: string) => {
        const found = await withRegistry(options, (deps) => requireBot(deps.store, name));
        emit(options, { bot: found }, ({ bot: b }) => renderBot(b));
        return EXIT.ok;
      }),
    );

  registerBotUpdateCommands(bot);
  registerBotCreate(bot);
  registerLifecycleCommands(bot);
  registerRotateToken(bot);
  registerBotMove(bot);
}

function renderBots(bots: Bot[]): string {
  if (bots.length === 0)
    return 'no bots registered (create one with "clawops bot create NAME", or register an existing gateway with "clawops bot add NAME --config FILE")';
  return table(
    ["NAME", "ORG", "PORT", "DRIVER", "DESIRED", "OWNER", "STATE DIR"],
    bots.map((b) => [
      b.name,
      b.org,
      String(b.port),
      b.driver,
      b.desiredState,
      b.owner ?? "-",
      b.stateDir,
    ]),
  );
}

function renderBot(b: Bot): string {
  const labels = Object.entries(b.labels).map(([k, v]) => `${k}=${v}`);
  return [
    `name        ${b.name}`,
    `id          ${b.id}`,
    `port        ${b.port}`,
    `driver      ${b.driver}`,
    `desired     ${b.desiredState}`,
    `owner       ${b.owner ?? "-"}`,
    `state dir   ${b.stateDir}`,
    `config      ${b.configPath}`,
    `openclaw    ${b.openclawBin ?? "(clawops default)"}`,
    `org         ${b.org}`,
    `labels      ${labels.length > 0 ? labels.join(", ") : "-"}`,
    `created     ${b.createdAt}`,
    `updated     ${b.updatedAt}`,
  ].join("\n");
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
