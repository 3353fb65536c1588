import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { OpsError } from "../core/errors.js";
import { abortableSleep } from "../core/time.js";
import { SUPPORTED_PROTOCOLS } from "../gateway/compat.js";
import { LoadConnection, LoadError } from "./connection.js";
import {
  type LoadBounds,
  type LoadReport,
  LoadTally,
  type StoppedBy,
  buildReport,
} from "./report.js";
import { type Scenario, peakConnections, plannedMessages } from "./scenario.js";

/** A gateway to send load to: its URL and the token its connections present. */
export interface LoadTarget {
  name: string;
  url: string;
  token: string;
}

/** What the progress line shows, once a second. */
export interface LoadProgress {
  elapsedMs: number;
  open: number;
  sent: number;
  replied: number;
  failed: number;
  inFlight: number;
  /** Replies in the last interval, per second. */
  repliesPerSecond: number;
  replyP95Ms: number | null;
}

export interface LoadRunOptions {
  scenario: Scenario;
  targets: readonly LoadTarget[];
  bounds: LoadBounds;
  /** Aborting stops the run (Ctrl-C): what is in flight is cut, the report still comes. */
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
  progressEveryMs?: number;
}

/**
 * Runs a scenario against the targets (users spread round-robin over them)
 * within the bounds, and returns what it measured. Refuses, before opening
 * anything, a scenario that needs more connections than `maxConnections`.
 * Never throws for what the gateway does: failures are counted by kind.
 */
export async function runLoad(options: LoadRunOptions): Promise<LoadReport> {
  const { scenario, targets, bounds } = options;
  if (targets.length === 0) throw new OpsError("USAGE", "no target to send load to");
  const peak = peakConnections(scenario);
  if (peak > bounds.maxConnections) {
    throw new OpsError(
      "USAGE",
      `scenario ${scenario.name} opens ${peak} connections at once, more than --max-connections ${bounds.maxConnections}: raise the bound or lower users`,
    );
  }
  const stop = new AbortController();
  // Every waiting user listens on it (a think time, a ramp step): thousands, by design.
  setMaxListeners(0, stop.signal);
  const stopBy = (reason: StoppedBy) => {
    if (!stop.signal.aborted) stop.abort(reason);
  };
  const onAbort = () => stopBy("aborted");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) stopBy("aborted");
  const deadline = setTimeout(() => stopBy("max-duration"), bounds.maxDurationMs);

  const tally = new LoadTally(targets.map((t) => t.name));
  const run: Run = {
    scenario,
    tally,
    stop: stop.signal,
    pacer: new Pacer(bounds.maxRate),
    tag: randomBytes(4).toString("hex"),
    startedAt: performance.now(),
    open: new Set(),
  };
  // The end of the run cuts what is in flight: its turns are aborted and every connection closes.
  const abandoned: Promise<void>[] = [];
  stop.signal.addEventListener("abort", () => {
    for (const connection of run.open) abandoned.push(connection.abandon());
  });
  const cpuBefore = process.cpuUsage();
  let peakRss = process.memoryUsage.rss();
  let lastReplied = 0;
  const every = options.progressEveryMs ?? 1_000;
  const ticker = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    options.onProgress?.({
      elapsedMs: Math.round(performance.now() - run.startedAt),
      open: tally.open,
      sent: tally.sent,
      replied: tally.replied,
      failed: tally.failed,
      inFlight: tally.sent - tally.replied - tally.failed - tally.cut,
      repliesPerSecond: Math.round(((tally.replied - lastReplied) * 1_000) / every),
      replyP95Ms: tally.reply.percentileMs(95),
    });
    lastReplied = tally.replied;
  }, every);

  const startedAt = new Date();
  try {
    await Promise.all(
      Array.from({ length: scenario.users }, (_, i) =>
        runUser(run, i, targets[i % targets.length]!),
      ),
    );
    await Promise.all(abandoned);
  } finally {
    clearTimeout(deadline);
    clearInterval(ticker);
    options.signal?.removeEventListener("abort", onAbort);
  }
  const cpu = process.cpuUsage(cpuBefore);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return buildReport(tally, {
    scenario,
    targets: targets.map(({ name, url }) => ({ name, url })),
    bounds,
    startedAt,
    durationMs: performance.now() - run.startedAt,
    stoppedBy: stop.signal.aborted ? (stop.signal.reason as StoppedBy) : "completed",
    planned: plannedMessages(scenario),
    cpuMs: (cpu.user + cpu.system) / 1_000,
    peakRssBytes: peakRss,
  });
}

interface Run {
  scenario: Scenario;
  tally: LoadTally;
  stop: AbortSignal;
  pacer: Pacer;
  /** In every session key of the run: its sessions are easy to find (and to tell apart) later. */
  tag: string;
  startedAt: number;
  open: Set<LoadConnection>;
}

/** One virtual user: start on its ramp step, connect, send its messages, hold, close. */
async function runUser(run: Run, index: number, target: LoadTarget): Promise<void> {
  const { scenario, stop } = run;
  const window = userWindow(scenario, index);
  await abortableSleep(window.startMs, stop);
  const until = (ms: number | null) => ms === null || performance.now() - run.startedAt < ms;
  let next = 0;
  const take = (): number | null => {
    if (stop.aborted || !until(window.stopMs)) return null;
    if (scenario.messages !== null && next >= scenario.messages) return null;
    return next++;
  };
  let connection: LoadConnection | null = null;
  try {
    while (!stop.aborted && until(window.stopMs)) {
      connection = await connect(run, target);
      if (!connection) {
        // A ramped user tries again while its window lasts; a counted one gives up.
        if (scenario.messages !== null) return;
        await abortableSleep(1_000, stop);
        continue;
      }
      const batch = scenario.reconnectEvery || Infinity;
      let sentHere = 0;
      const lane = async () => {
        for (;;) {
          if (sentHere >= batch) return;
          const n = take();
          if (n === null) return;
          sentHere += 1;
          await turn(run, connection!, target, index, n);
          if (scenario.think > 0) await abortableSleep(scenario.think, stop);
        }
      };
      await Promise.all(Array.from({ length: scenario.inflight }, lane));
      const more = sentHere >= batch && take() !== null;
      if (more) next -= 1; // only peeked
      if (!more) {
        if (scenario.hold > 0) await abortableSleep(scenario.hold, stop);
        return;
      }
      disconnect(run, connection);
      connection = null;
    }
  } finally {
    if (connection) disconnect(run, connection);
  }
}

function disconnect(run: Run, connection: LoadConnection): void {
  connection.close();
  run.open.delete(connection);
  run.tally.closedOne();
}

/** When a user starts and when it stops sending (ms into the run); the ramp spreads both. */
function userWindow(scenario: Scenario, index: number): { startMs: number; stopMs: number | null } {
  const ramp = scenario.ramp;
  if (!ramp) return { startMs: 0, stopMs: null };
  const users = scenario.users;
  // The last to start is the first to stop.
  return {
    startMs: (ramp.up * index) / users,
    stopMs: ramp.up + ramp.hold + (ramp.down * (users - index)) / users,
  };
}

async function connect(run: Run, target: LoadTarget): Promise<LoadConnection | null> {
  const { tally } = run;
  tally.opening();
  const started = performance.now();
  try {
    const connection = await LoadConnection.open(
      {
        url: target.url,
        token: target.token,
        mode: "backend",
        protocols: { min: SUPPORTED_PROTOCOLS.min, max: SUPPORTED_PROTOCOLS.max },
      },
      run.scenario.connectTimeout,
      run.stop,
    );
    if (run.stop.aborted) {
      connection.close();
      return null;
    }
    tally.openedOne(performance.now() - started);
    run.open.add(connection);
    return connection;
  } catch (error) {
    if (run.stop.aborted) return null;
    tally.connectFailed += 1;
    const e = error as LoadError;
    tally.error(e.kind ?? "handshake-failed", e.message);
    return null;
  }
}

async function turn(
  run: Run,
  connection: LoadConnection,
  target: LoadTarget,
  user: number,
  n: number,
) {
  const { scenario, tally } = run;
  await run.pacer.take(run.stop);
  if (run.stop.aborted) return;
  const session =
    scenario.sessions === "per-user"
      ? `agent:main:load-${run.tag}-u${user}`
      : `agent:main:load-${run.tag}-u${user}-m${n}`;
  const counts = tally.target(target.name);
  tally.sent += 1;
  counts.sent += 1;
  try {
    const timing = await connection.turn(session, messageText(scenario, n), scenario.replyTimeout);
    tally.replied += 1;
    counts.replied += 1;
    tally.ack.recordMs(timing.ackMs);
    if (timing.firstTokenMs !== null) tally.firstToken.recordMs(timing.firstTokenMs);
    tally.reply.recordMs(timing.replyMs);
  } catch (error) {
    if (run.stop.aborted) {
      tally.cut += 1;
      return;
    }
    tally.failed += 1;
    counts.failed += 1;
    const e = error instanceof LoadError ? error : new LoadError("turn-error", String(error));
    tally.error(e.kind, e.message);
  }
}

const FILLER = "the quick operator checks every gateway before the night shift ends ";

/** The scenario's prompt for message `n`, padded with prose to its payload size. */
export function messageText(scenario: Scenario, n: number): string {
  const text = scenario.prompt.replaceAll("{n}", String(n + 1));
  if (Buffer.byteLength(text) >= scenario.payloadBytes) return text;
  const missing = scenario.payloadBytes - Buffer.byteLength(text) - 1;
  return `${text}\n${FILLER.repeat(Math.ceil(missing / FILLER.length)).slice(0, missing)}`;
}

/**
 * At most `perSecond` sends a second over the whole run: a token bucket
 * holding a tenth of a second's worth, so a burst after a quiet moment stays
 * small and a timer is not needed for every send.
 */
class Pacer {
  private tokens: number;
  private last = performance.now();
  private readonly capacity: number;

  constructor(private readonly perSecond: number) {
    this.capacity = Math.max(1, perSecond / 10);
    this.tokens = this.capacity;
  }

  async take(signal: AbortSignal): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(
        this.capacity,
        this.tokens + ((now - this.last) * this.perSecond) / 1_000,
      );
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      if (signal.aborted) return;
      await abortableSleep(Math.max(1, ((1 - this.tokens) * 1_000) / this.perSecond), signal);
    }
  }
}
