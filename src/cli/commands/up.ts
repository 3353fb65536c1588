import type { Command } from "commander";
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import { startDaemon } from "../../daemon/daemon.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig } from "../context.js";
import { EXIT } from "../output.js";

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
        const log = daemonLogger(config.log.level, merged.json === true || !process.stdout.isTTY);
        log.info({ config: file ?? "(defaults)", dataDir: config.dataDir }, "config.loaded");
        const daemon = await startDaemon(config, log);
        await daemon.stop(await signal);
        return EXIT.ok;
      }),
    );
}

function daemonLogger(level: string, json: boolean): Logger {
  const options = { level, redact: REDACT, base: { service: "clawops" } };
  if (json) return pino(options, pino.destination({ fd: 1, sync: true }));
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
