import type { Bot, Driver } from "../core/bot.js";
import type { OpenClawCommand } from "../gateway/openclaw-locate.js";

/** How a gateway process ended. Exit status is unknown (null, null) for a process clawops did not spawn. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /**
   * Epoch ms when the process was last known alive: the exit notice for a
   * child, the last poll that found it for a watched process. The fault time
   * of a crash, for time-to-detect.
   */
  aliveAt?: number;
}

/** A live gateway process that clawops watches. */
export interface GatewayProcess {
  pid: number;
  /** /proc start time of `pid`; a different value later means the pid was reused. */
  startTime: number;
  /** True when spawned by this clawops process: its exit is an event, with status. */
  child: boolean;
  /** Resolves once the process is gone. */
  readonly exited: Promise<ProcessExit>;
  /** The file its output goes to, when clawops spawned it. */
  logFile: string | null;
}

export interface StartContext {
  bot: Bot;
  /** The openclaw CLI (and Node) that runs this bot. */
  openclaw: OpenClawCommand;
  /** Variables for the gateway on top of the ones the driver sets. */
  env: NodeJS.ProcessEnv;
  /** Where the gateway's stdout and stderr go (appended). */
  logFile: string;
}

/**
 * How a gateway runs. One contract (`drivers.contract.ts`) for every driver.
 * Failures before a process exists are `OpsError`s saying why (port held,
 * state dir not writable, binary missing); after that, the process's exit is data.
 */
export interface GatewayDriver {
  readonly kind: Driver;
  /** Starts (or takes over) the bot's gateway; resolves once its process exists, not when ready. */
  start(context: StartContext): Promise<GatewayProcess>;
  /** Watches a process found earlier (persisted pid and start time); null when it is gone or reused. */
  attach(pid: number, startTime: number): GatewayProcess | null;
  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves when it is gone. */
  stop(process: GatewayProcess, graceMs: number): Promise<ProcessExit>;
}
