import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Bot } from "../core/bot.js";
import { errorMessage } from "../core/errors.js";
import { startError } from "../core/start-failure.js";
import { describeListener, findTcpListener, readProcStartTime } from "../system/proc.js";
import type { GatewayDriver, GatewayProcess, ProcessExit, StartContext } from "./driver.js";
import { type RunningGateway, findRunningGateway } from "./discover.js";
import { probe } from "../gateway/probes.js";
import { killGroupMembers, stopGroup, watchPid } from "./watch.js";

/**
 * A gateway of the bot's state dir that holds the port but does not answer
 * /healthz is stale, not one to adopt: a held port (PORT_IN_USE, marked
 * stale) is for the repair pipeline to judge. One still booting, not yet
 * listening, is adopted and given the start timeout like any start.
 */
async function refuseStale(bot: Bot, running: RunningGateway): Promise<void> {
  const listener = findTcpListener(bot.port, [running.pid]);
  if (!listener) return;
  const url = `http://127.0.0.1:${bot.port}`;
  const health = await probe(url, "healthz", { timeoutMs: 3_000, tries: 2 });
  if (health.ok) return;
  throw startError(
    "port_held",
    "PORT_IN_USE",
    `port ${bot.port} is held by ${describeListener(listener)}, a gateway of ${bot.stateDir} that does not answer /healthz (${health.message}): stale`,
    { port: bot.port, pid: listener.pid, cmdline: listener.cmdline, stale: true },
  );
}

/** What every supervised gateway gets: quiet, offline-friendly, and told that clawops supervises it. */
export const SUPERVISED_ENV = {
  OPENCLAW_SUPERVISOR_MODE: "external",
  OPENCLAW_NO_RESPAWN: "1",
  OPENCLAW_NO_AUTO_UPDATE: "1",
  DO_NOT_TRACK: "1",
  OPENCLAW_DISABLE_BONJOUR: "1",
} as const;

/**
 * The default driver: clawops spawns `openclaw gateway run --port P --bind
 * loopback` in its own process group. Output goes straight to a file (not a
 * pipe), so the gateway keeps running, and keeps writing, if clawops dies.
 */
export function processDriver(options: { pollMs?: number; signal?: AbortSignal } = {}) {
  const driver: GatewayDriver = {
    kind: "process",

    async start(context: StartContext): Promise<GatewayProcess> {
      const { bot, openclaw } = context;
      // A gateway of this state dir already runs (left by a clawops that died before it
      // recorded the pid, or started by hand): watch it rather than start a duplicate.
      const running = findRunningGateway(bot);
      if (running) await refuseStale(bot, running);
      const attached = running && watchPid(running.pid, running.startTime, options);
      if (attached) return attached;
      checkStateDir(bot.stateDir);
      if (!existsSync(bot.configPath)) {
        throw startError(
          "config_missing",
          "CONFIG_INVALID",
          `the gateway config ${bot.configPath} does not exist (create it, or point the bot at it with --config)`,
        );
      }
      const holder = findTcpListener(bot.port);
      if (holder) {
        throw startError(
          "port_held",
          "PORT_IN_USE",
          `port ${bot.port} is already held by ${describeListener(holder)}`,
          { port: bot.port, pid: holder.pid, cmdline: holder.cmdline },
        );
      }
      // The gateway's raw output can hold its secrets (only what clawops captures from it
      // is masked): the daemon's user alone may read it.
      mkdirSync(path.dirname(context.logFile), { recursive: true, mode: 0o700 });
      const out = openSync(context.logFile, "a", 0o600);
      const args = ["gateway", "run", "--port", String(bot.port), "--bind", "loopback"];
      const [file, argv] = openclaw.node
        ? [openclaw.node, [openclaw.entry, ...args]]
        : [openclaw.entry, args];
      try {
        const child = spawn(file, argv, {
          cwd: bot.stateDir,
          env: {
            ...context.env,
            ...SUPERVISED_ENV,
            OPENCLAW_STATE_DIR: bot.stateDir,
            OPENCLAW_CONFIG_PATH: bot.configPath,
          },
          stdio: ["ignore", out, out],
          detached: true,
        });
        return new Promise((resolve, reject) => {
          child.once("error", (error) => {
            // A binary that is not there or not runnable stays so; anything else may pass.
            const code = (error as NodeJS.ErrnoException).code;
            const message = `cannot start ${file}: ${errorMessage(error)}`;
            reject(
              code === "ENOENT"
                ? startError("binary_missing", "NOT_FOUND", message)
                : code === "EACCES"
                  ? startError("binary_not_executable", "NOT_FOUND", `${message} (not executable)`)
                  : startError("spawn_error", "UNAVAILABLE", message),
            );
          });
          child.once("spawn", () => {
            const pid = child.pid!;
            const exited = new Promise<ProcessExit>((done) =>
              child.once("exit", (code, signal) => {
                const aliveAt = Date.now();
                // Workers it left behind would hold its port against the next start.
                killGroupMembers(pid);
                done({ code, signal, aliveAt });
              }),
            );
            // The daemon may exit while the gateway runs on (`onExit: keep`).
            child.unref();
            // A child that died at once has no /proc entry left; 0 still identifies nothing else.
            const startTime = readProcStartTime(pid) ?? 0;
            resolve({ pid, startTime, child: true, exited, logFile: context.logFile });
          });
        });
      } finally {
        closeSync(out);
      }
    },

    attach(pid, startTime) {
      return watchPid(pid, startTime, options);
    },

    stop(gateway, graceMs) {
      return stopGroup(gateway, graceMs);
    },
  };
  return driver;
}

/** The state dir must exist (it is created) and be writable, or the gateway dies obscurely. */
function checkStateDir(stateDir: string) {
  try {
    mkdirSync(stateDir, { recursive: true });
    // A real write: access(2) says yes to root even where a write fails.
    const probe = path.join(stateDir, `.clawops-write-test-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? errorMessage(error);
    throw startError(
      "state_dir_unwritable",
      "CONFIG_INVALID",
      `the state dir ${stateDir} is not writable (${code})`,
      { stateDir, code },
    );
  }
}
