import { rmSync } from "node:fs";
import type { Command } from "commander";
import type { ClawopsConfig } from "../../config/schema.js";
import type { Bot } from "../../core/bot.js";
import { OpsError } from "../../core/errors.js";
import { type InstallResult, installRuntime } from "../../runtime/install.js";
import {
  type ManagedRuntime,
  TESTED_OPENCLAW,
  defaultRuntime,
  listRuntimes,
  runtimeOwning,
  setDefaultRuntime,
} from "../../runtime/runtimes.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig, withRegistry } from "../context.js";
import { EXIT, emit, table } from "../output.js";
import { stepPrinter } from "../progress.js";

interface InstallOptions extends CommandOptions {
  node?: string;
  force?: boolean;
  default?: boolean;
}

/** Which OpenClaw a bot runs. */
interface BotRuntime {
  bot: string;
  /** The runtime's version when it is one clawops installed. */
  runtime: string | null;
  /** How it was chosen: the bot's own bin, clawops.yaml's, the default runtime, or the lookup. */
  via: "bot" | "clawops.yaml" | "default" | "PATH";
  bin: string | null;
}

export function registerOpenClawCommands(program: Command) {
  const openclaw = program
    .command("openclaw")
    .description(
      "OpenClaw runtimes that clawops installs and runs bots on (OpenClaw and the Node it needs)",
    );

  openclaw
    .command("install")
    .argument(
      "[version]",
      `OpenClaw version (default: ${TESTED_OPENCLAW.version}, the one clawops is tested against)`,
    )
    .description(
      "install OpenClaw and its Node from the npm registry into the data dir, and check that it runs",
    )
    .option(
      "--node <version>",
      "the Node version to pin (default: the newest of the lowest major OpenClaw accepts)",
    )
    .option("--force", "reinstall when this version is installed already")
    .option("--default", "make it the default runtime (the first one installed always is)")
    .option("--json", "print JSON")
    .action(
      act(async (options: InstallOptions, version?: string) => {
        const { config } = loadCliConfig(options);
        const abort = new AbortController();
        const onSignal = () => abort.abort();
        process.once("SIGINT", onSignal);
        const steps = stepPrinter(!options.json);
        try {
          const result = await installRuntime({
            dataDir: config.dataDir,
            ...(version ? { version } : {}),
            ...(options.node ? { node: options.node } : {}),
            force: options.force === true,
            makeDefault: options.default === true,
            signal: abort.signal,
            onStep: (step, detail) => (step === "done" ? steps.end() : steps.next(detail)),
          });
          emit(options, { result }, ({ result: r }) => renderInstall(r));
          return EXIT.ok;
        } catch (error) {
          steps.fail();
          throw error;
        } finally {
          process.off("SIGINT", onSignal);
        }
      }),
    );

  openclaw
    .command("list")
    .description("installed runtimes, the default, and which runtime each bot runs on")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions) => {
        const loaded = loadCliConfig(options);
        const { config } = loaded;
        const bots = await withRegistry(options, ({ store }) => store.listBots(), loaded);
        const runtimes = listRuntimes(config.dataDir);
        const chosen = defaultRuntime(config.dataDir);
        const usage = bots.map((bot) => botRuntime(config, bot, chosen));
        emit(
          options,
          {
            default: chosen?.version ?? null,
            runtimes: runtimes.map((r) => ({
              ...r,
              isDefault: r.version === chosen?.version,
              bots: usage.filter((u) => u.runtime === r.version).map((u) => u.bot),
            })),
            bots: usage,
          },
          () => renderList(runtimes, chosen, usage),
        );
        return EXIT.ok;
      }),
    );

  openclaw
    .command("use")
    .argument("<version>", "an installed version")
    .description(
      "make an installed runtime the default for bots that name no openclaw of their own",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, version: string) => {
        const { config } = loadCliConfig(options);
        const runtime = requireRuntime(config, version);
        setDefaultRuntime(config.dataDir, runtime.version);
        emit(
          options,
          { default: runtime.version },
          () =>
            `bots without an openclaw of their own now run openclaw ${runtime.version} (at their next start)`,
        );
        return EXIT.ok;
      }),
    );

  openclaw
    .command("remove")
    .argument("<version>", "an installed version")
    .description("delete an installed runtime; refused while a bot runs on it")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, version: string) => {
        const loaded = loadCliConfig(options);
        const { config } = loaded;
        const runtime = requireRuntime(config, version);
        const bots = await withRegistry(options, ({ store }) => store.listBots(), loaded);
        const chosen = defaultRuntime(config.dataDir);
        const users = bots
          .map((bot) => botRuntime(config, bot, chosen))
          .filter((u) => u.runtime === runtime.version);
        if (users.length > 0) {
          throw new OpsError(
            "CONFLICT",
            `openclaw ${runtime.version} is used by ${users.map((u) => u.bot).join(", ")}; install or choose another runtime for them first (clawops openclaw use VERSION)`,
            { details: { bots: users.map((u) => u.bot) } },
          );
        }
        rmSync(runtime.dir, { recursive: true, force: true });
        emit(
          options,
          { removed: runtime.version },
          () => `removed openclaw ${runtime.version} (${runtime.dir})`,
        );
        return EXIT.ok;
      }),
    );
}

function requireRuntime(config: ClawopsConfig, version: string): ManagedRuntime {
  const runtimes = listRuntimes(config.dataDir);
  const runtime = runtimes.find((r) => r.version === version);
  if (!runtime) {
    const installed = runtimes.map((r) => r.version).join(", ") || "none";
    throw new OpsError(
      "NOT_FOUND",
      `openclaw ${version} is not installed (installed: ${installed}); install it with "clawops openclaw install ${version}"`,
    );
  }
  return runtime;
}

function botRuntime(config: ClawopsConfig, bot: Bot, chosen: ManagedRuntime | null): BotRuntime {
  const bin = bot.openclawBin ?? config.openclaw.bin ?? null;
  if (bin) {
    return {
      bot: bot.name,
      runtime: runtimeOwning(config.dataDir, bin)?.version ?? null,
      via: bot.openclawBin ? "bot" : "clawops.yaml",
      bin,
    };
  }
  if (chosen) return { bot: bot.name, runtime: chosen.version, via: "default", bin: chosen.entry };
  return { bot: bot.name, runtime: null, via: "PATH", bin: null };
}

function renderInstall(result: InstallResult): string {
  const r = result.runtime;
  return [
    `${result.installed ? "installed" : "already installed"}: openclaw ${r.version} on node ${r.nodeVersion} (${result.verified})`,
    `  folder:   ${r.dir}`,
    `  default:  ${result.isDefault ? "yes: bots without an openclaw of their own run it" : `no (make it so with "clawops openclaw use ${r.version}")`}`,
    `  took:     ${(result.durationMs / 1000).toFixed(1)} s`,
    ``,
    `next: clawops bot create NAME --provider openai|anthropic|openai-compatible ...  (docs/quickstart.md)`,
  ].join("\n");
}

function renderList(
  runtimes: ManagedRuntime[],
  chosen: ManagedRuntime | null,
  usage: BotRuntime[],
): string {
  if (runtimes.length === 0) {
    const lines = [
      'no OpenClaw runtime installed by clawops (install one with "clawops openclaw install")',
    ];
    const others = usage.filter((u) => u.via !== "default");
    if (others.length > 0) lines.push("", renderUsage(others));
    return lines.join("\n");
  }
  return [
    table(
      ["VERSION", "NODE", "DEFAULT", "BOTS", "FOLDER"],
      runtimes.map((r) => [
        r.version,
        r.nodeVersion,
        r.version === chosen?.version ? "yes" : "",
        usage
          .filter((u) => u.runtime === r.version)
          .map((u) => u.bot)
          .join(", ") || "-",
        r.dir,
      ]),
    ),
    ...(usage.length > 0 ? ["", renderUsage(usage)] : []),
  ].join("\n");
}

function renderUsage(usage: BotRuntime[]): string {
  const how: Record<BotRuntime["via"], string> = {
    bot: "its own openclawBin",
    "clawops.yaml": "openclaw.bin in clawops.yaml",
    default: "the default runtime",
    PATH: "openclaw on PATH or in node_modules",
  };
  return table(
    ["BOT", "RUNS", "CHOSEN BY"],
    usage.map((u) => [u.bot, u.runtime ? `openclaw ${u.runtime}` : (u.bin ?? "-"), how[u.via]]),
  );
}
