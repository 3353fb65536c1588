import type { Command } from "commander";
import pino, { type Logger } from "pino";
import type { ClawopsConfig } from "../../config/schema.js";
import { type Daemon, startDaemon } from "../../daemon/daemon.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig } from "../context.js";
import { EXIT } from "../output.js";
import { locateConfiguredOpenClaw } from "../../runtime/runtimes.js";
import { readSetupLink } from "../../access/setup.js";

const REDACT = [
  "req.headers.authorization",
  "req.headers.cookie",
  "*.token",
  "*.password",
  "*.apiKey",
  "*.secret",
];

export function registerUp(program: Command) {
  program
    .command("up")
    .description("run the clawops daemon in the foreground (Ctrl-C or SIGTERM stops it cleanly)")
    .option("--json", "log JSON lines even on a terminal")
    .action(
      act(async (merged: CommandOptions) => {
        // Handlers first: a signal during start-up stops the daemon as soon as it is up.
        const signal = firstSignal();
        const { config, file } = loadCliConfig(merged);
        const json = merged.json === true || !process.stdout.isTTY;
        const log = await daemonLogger(config.log.level, json);
        // Logged once the daemon holds its lock: a refused second start prints only its refusal.
        const daemon = await startDaemon(config, log, { configFile: file });
        log.info({ config: file ?? "(defaults)", dataDir: config.dataDir }, "config.loaded");
        // On a terminal only: a daemon's stdout under systemd is a log, and the link a secret.
        const link = json ? null : readSetupLink(config.dataDir);
        if (link)
          process.stdout.write(
            `\nno users yet: open this link once, within 24 hours, to create the first owner:\n  ${link}\n`,
          );
        const hint = await firstSteps(config, daemon);
        if (hint && json) log.info({ next: hint }, "fleet.empty");
        else if (hint)
          process.stdout.write(
            `\nno bots yet. Next, in another terminal:\n${hint.map((h) => `  ${h}`).join("\n")}\n\n`,
          );
        await daemon.stop(await signal);
        return EXIT.ok;
      }),
    );
}

/** On an empty fleet, the commands that lead to a running bot (docs/quickstart.md). */
async function firstSteps(config: ClawopsConfig, daemon: Daemon): Promise<string[] | null> {
  if ((await daemon.context.store.listBots()).length > 0) return null;
  const runtime = await locateConfiguredOpenClaw(config.openclaw, null, config.dataDir).catch(
    () => null,
  );
  return [
    ...(runtime
      ? []
      : ["clawops openclaw install   # OpenClaw and the Node 24 it needs, into the data dir"]),
    "clawops bot create demo --provider openai-compatible --base-url http://127.0.0.1:8080/v1 --model MODEL   # or --provider openai|anthropic with its key in the environment",
    "clawops status --watch",
  ];
}

async function daemonLogger(level: string, json: boolean): Promise<Logger> {
  const options = { level, redact: REDACT, base: { service: "clawops" } };
  if (json) return pino(options, pino.destination({ fd: 1, sync: true }));
  // Only a terminal needs it: a daemon under systemd or in a container logs JSON (~1 MB of heap).
  const { default: pretty } = await import("pino-pretty");
  return pino(
    options,
    pretty({ colorize: true, sync: true, singleLine: true, ignore: "service,hostname" }),
  );
}

/** Resolves with the first SIGINT/SIGTERM; a second one exits at once (exit 1). */
function firstSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: NodeJS.Signals) => {
      if (received) process.exit(EXIT.failure);
      received = true;
      resolve(signal);
    };
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
  });
}
