/**
 * The supervisor's view of one gateway. Every change of `state` is persisted
 * and published as a `gateway.state` event with its reason.
 *
 * stopped ─start→ starting ─ready→ running ⇄ degraded (not ready, never a restart by itself)
 * running/degraded/starting ─exit or hang→ crashed ─policy→ backoff ─delay→ starting
 *                                                  └─exit 78 or crash loop→ failed
 * any live state ─stop→ stopping ─exit→ stopped
 */
export const GATEWAY_STATES = [
  "stopped",
  "starting",
  "running",
  "degraded",
  "stopping",
  "crashed",
  "backoff",
  "failed",
] as const;
export type GatewayState = (typeof GATEWAY_STATES)[number];

/** States in which a gateway process is (or should be) alive. */
export const LIVE_STATES: ReadonlySet<GatewayState> = new Set([
  "starting",
  "running",
  "degraded",
  "stopping",
]);

/** How a gateway process ended. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** Why, in words: "exit 78 (config)", "killed by SIGKILL", "hung: /healthz failed 3 times". */
  reason: string;
  at: string;
  /** The gateway's own last output lines, when clawops has its log (secrets are its business). */
  logTail?: string[];
}

/** The persisted state of one bot's gateway. */
export interface GatewayInstance {
  botId: string;
  state: GatewayState;
  /** Why it is in this state. */
  reason: string;
  /** The process clawops watches, with its /proc start time (guards against pid reuse). */
  pid: number | null;
  pidStartTime: number | null;
  /** When the current process was started or adopted. */
  startedAt: string | null;
  stateSince: string;
  /** Gateway version and boot id, from /startupz and the WebSocket hello. */
  version: string | null;
  /** Restarts done by the supervisor since the bot was registered. */
  restarts: number;
  /** Failure times (ISO) inside the crash-loop window, oldest first. */
  recentFailures: string[];
  lastExit: ExitInfo | null;
  /** Last figures from the checks. */
  rssBytes: number | null;
  /** The last RSS_SAMPLES readings of `rssBytes` (one per memory check), oldest first. */
  rssSamples: number[];
  ready: boolean | null;
  updatedAt: string;
}

/** How many memory readings a gateway keeps for its sparkline: 30 min at the default 30 s. */
export const RSS_SAMPLES = 60;

/** `samples` with `bytes` appended, the oldest dropped past RSS_SAMPLES. */
export function withRssSample(samples: readonly number[], bytes: number): number[] {
  return [...samples, bytes].slice(-RSS_SAMPLES);
}

export function newInstance(botId: string, now = new Date().toISOString()): GatewayInstance {
  return {
    botId,
    state: "stopped",
    reason: "registered",
    pid: null,
    pidStartTime: null,
    startedAt: null,
    stateSince: now,
    version: null,
    restarts: 0,
    recentFailures: [],
    lastExit: null,
    rssBytes: null,
    rssSamples: [],
    ready: null,
    updatedAt: now,
  };
}

/** Words for an exit: `exit 78 (config: not restarted)`, `killed by SIGKILL`. */
export function describeExit(code: number | null, signal: string | null): string {
  if (signal) return `killed by ${signal}`;
  if (code === 78) return "exit 78 (configuration error)";
  if (code === null) return "the process ended (exit status unknown: clawops did not spawn it)";
  return `exit ${code ?? "?"}`;
}
