import { z } from "zod";
import type { Bot } from "../core/bot.js";
import { duration } from "../core/duration.js";
import type { FailedRun } from "../core/hang.js";
import type { ListeningSocket } from "../system/proc.js";

/** The gateway instance a check looks at: the bot, and the process clawops supervises. */
export interface CheckTarget {
  bot: Bot;
  /** `http://127.0.0.1:<port>` */
  httpUrl: string;
  pid: number;
  /** When clawops started or adopted this process (ms since epoch). */
  startedAtMs: number;
  /** The listening socket seen when the process came up, if known. */
  listener?: ListeningSocket;
  /** What the daemon lends checks that act through clawops's other parts; absent in a bare supervisor. */
  services?: CheckServices;
}

/**
 * clawops's other parts, for a check that does more than probe (the canary
 * chats through the gateway, so it needs the bot's environment, its budget
 * and its spend). Built in daemon/ and passed down: checks keep no state.
 */
export interface CheckServices {
  /** The environment the bot's gateway runs with (its token may be a `${VAR}` in it). */
  gatewayEnv(bot: Bot): NodeJS.ProcessEnv;
  /** Throws `BUDGET_EXCEEDED` when a budget has paused the bot: it takes no chat through clawops. */
  admitChat(bot: Bot): Promise<void>;
  /**
   * What the messages of `sessionKey` on the bot cost since `since` (ISO 8601), in US
   * dollars, as the ingest stored them (0 when the ingest is off or has not caught up).
   */
  sessionCostUsd(bot: Bot, sessionKey: string, since: string): Promise<number>;
  /**
   * `text` with the bot's secrets (its token, keys in its config and environment) masked:
   * a provider's error can echo the key it rejected, and the text goes to logs and events.
   */
  redact(bot: Bot, text: string): string;
}

export interface CheckOutcome {
  ok: boolean;
  /** What was seen, in words. */
  message: string;
  /** The port answered, but from a process that is not this instance: a port conflict. */
  foreign?: { pid: number | null; cmdline: string | null };
  /**
   * The process's own evidence shows it hung (it used no CPU while probes timed out): the
   * check's effect applies now, before `failures` runs.
   */
  hung?: boolean;
  /** Run the check again at once instead of a period later (evidence worth confirming). */
  rerunNow?: boolean;
  /** Figures for status and metrics. */
  facts?: {
    rssBytes?: number;
    ready?: boolean;
    version?: string;
    uptimeMs?: number;
    /** The listening socket the supervised process holds (for a cheap re-check next time). */
    listener?: ListeningSocket;
    /** The process as a timed-out probe went out and as it failed (see core/hang.ts). */
    stall?: FailedRun;
    /** A canary run (checks/canary.ts): published as `gateway.canary`. */
    canary?: CanaryFacts;
  };
}

/** What one canary run did, for its event, metrics and status. */
export interface CanaryFacts {
  outcome: "pass" | "fail" | "skipped";
  /** Send to the end of the turn; null when no turn was made or it did not end. */
  latencyMs: number | null;
  /** What this run's turn cost as the gateway reported it in its final frame; null when unknown. */
  costUsd: number | null;
  /** The canary's spend today (UTC) before this run, US dollars; null when it could not be read. */
  spentTodayUsd: number | null;
}

/**
 * What a failing check does once it failed `failures` times in a row:
 * `restart` (the gateway is dead or hung), `degrade` (alive but not ready:
 * never a restart by itself), `warn` (an event, nothing else).
 */
export type CheckEffect = "restart" | "degrade" | "warn";

/** The settings every check has; a check's schema extends it with its own. */
export function checkSettings(defaults: { period: string; timeout: string; failures: number }) {
  return z.strictObject({
    enabled: z.boolean().default(true),
    period: duration(defaults.period),
    timeout: duration(defaults.timeout),
    /** Consecutive failures before the effect applies. */
    failures: z.number().int().min(1).max(100).default(defaults.failures),
  });
}
export type CheckSettings = z.output<ReturnType<typeof checkSettings>>;

/** Earlier runs of the same check on the same process, oldest first (for trends). */
export type CheckHistory = readonly { atMs: number; outcome: CheckOutcome }[];

export interface Check<S extends CheckSettings = CheckSettings> {
  name: string;
  effect: CheckEffect;
  /** A booting gateway is `running` once this check has passed (the others judge it afterwards). */
  gatesReadiness?: boolean;
  /** Its settings in clawops.yaml (`supervisor.checks.<name>`), defaults included. */
  schema: z.ZodType<S>;
  /** Whether it runs on this bot's gateway at all (absent: on every bot's). */
  appliesTo?(bot: Bot, settings: S): boolean;
  /**
   * One run. `signal` aborts when the run overran its timeout or the checks stop; the runs
   * of one process share it until it aborts, so a listener added to it is removed by the run.
   */
  run(
    target: CheckTarget,
    settings: S,
    signal: AbortSignal,
    history: CheckHistory,
  ): Promise<CheckOutcome>;
}
