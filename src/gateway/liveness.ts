import {
  type Listener,
  type ListeningSocket,
  describeListener,
  findTcpListener,
  holdsSocket,
  isListenerOf,
} from "../system/proc.js";
import { type Healthz, type ProbeResult, type Readyz, probe } from "./probes.js";

/**
 * The one liveness rule, shared by the supervisor's start (`waitUntilLive`), its `healthz`
 * check and a repair's verification (`checkLive`): `/healthz` answers 200 `{ok: true}` and
 * the port's listener is the gateway process or a member of its process group. An answer
 * from anything else on the port is never the gateway's.
 */

/** What `checkLiveness` looks at: the port and the process that should hold it. */
export interface LivenessTarget {
  port: number;
  pid: number;
}

export interface LivenessOptions {
  /** How long the `/healthz` probe may take, in ms. */
  timeoutMs: number;
  /**
   * The listening socket the process held when last seen. While it still holds it, nothing
   * else can listen on the port and the /proc scan is skipped; and the same socket with no
   * visible owner is the process's own as it dies (see below).
   */
  known?: ListeningSocket | null;
  /**
   * Look up who holds the port even when `/healthz` did not answer 200 (default true). The
   * lookup scans /proc, whose cost grows with every socket on the host: a caller that polls
   * often asks for it only now and then.
   */
  identifyUnanswered?: boolean;
}

export interface Liveness {
  /** `/healthz` answered 200 `{ok: true}` and no other process holds the port. */
  live: boolean;
  /** What was seen, in words ("live in 3ms", the probe's failure, who holds the port). */
  message: string;
  /** `/healthz` answered 200 `{ok: true}`, whoever answered. */
  answered: boolean;
  probe: ProbeResult<Healthz>;
  /** The listening socket the process holds, when seen (pass it as `known` next time). */
  socket: ListeningSocket | null;
  /**
   * Another process holds the port. Its `pid` is null when this user cannot see the owner
   * (and the socket is not the one `known` names): callers decide whether that is proof.
   */
  foreign: Listener | null;
}

/**
 * Whether process `pid` is live on `port` (see the rule above). Never throws: a probe that
 * fails, and a port held by another process, are answers.
 */
export async function checkLiveness(
  target: LivenessTarget,
  options: LivenessOptions,
): Promise<Liveness> {
  const { port, pid } = target;
  const result = await probe(`http://127.0.0.1:${port}`, "healthz", {
    timeoutMs: options.timeoutMs,
  });
  const answered = result.ok && result.status === 200 && result.body.ok;
  const known = options.known ?? null;
  // While the process still holds the socket seen last time, nothing else can answer on the
  // port; otherwise look the listener up again (a costly /proc scan).
  const held = known !== null && holdsSocket(known);
  const lookUp = !held && (answered || (options.identifyUnanswered ?? true));
  const listener = lookUp ? findTcpListener(port, [pid]) : null;
  // The socket seen last time, now with no visible owner, is the supervised process's own
  // as it exits: after a kill -9 its main thread is already a zombie (fds unreadable) while
  // its other threads still hold the socket, for 40-60 ms on an idle machine and longer
  // under load. Its exit is a crash, not a port conflict.
  const exiting = listener !== null && listener.pid === null && listener.inode === known?.inode;
  const foreign = listener && !exiting && !isListenerOf(listener, pid) ? listener : null;
  const socket = held ? known : (listener?.socket ?? null);
  // One literal rather than a shared part spread into each answer: on Node 20 every
  // spread-and-extend made new hidden classes, freed only by a full GC (twenty a second here).
  const verdict = (live: boolean, message: string): Liveness => ({
    answered,
    probe: result,
    socket: foreign ? null : socket,
    foreign,
    live,
    message,
  });
  if (foreign)
    return verdict(
      false,
      `port ${port} is held by ${describeListener(foreign)}, not the gateway (pid ${pid})`,
    );
  if (!result.ok) return verdict(false, result.message);
  if (!answered) return verdict(false, `/healthz answered ${result.status} ${result.body.status}`);
  return verdict(true, `live in ${result.latencyMs}ms`);
}

/** What `/readyz` said, in the words every caller uses. */
export interface Readiness {
  /** `/readyz` answered 200 `{ready: true}`. */
  ready: boolean;
  /** "ready", "not ready: failing channels", or the probe's failure. */
  message: string;
  /** The gateway's answer, when it gave one. */
  body: Readyz | null;
  probe: ProbeResult<Readyz>;
}

/**
 * Asks the gateway on `port` whether it is ready (`/readyz`). Never throws. Readiness is
 * not liveness: the answer says nothing about which process gave it, which only matters
 * once liveness (`checkLiveness`) established that.
 */
export async function checkReadiness(port: number, timeoutMs: number): Promise<Readiness> {
  const result = await probe(`http://127.0.0.1:${port}`, "readyz", { timeoutMs });
  // Not a spread of the description (see checkLiveness).
  const { ready, message, body } = describeReadiness(result);
  return { ready, message, body, probe: result };
}

/** The verdict and its wording for one `/readyz` probe result (pure). */
export function describeReadiness(
  result: ProbeResult<Readyz>,
): Pick<Readiness, "ready" | "message" | "body"> {
  if (!result.ok) return { ready: false, message: result.message, body: null };
  const { ready, failing } = result.body;
  // A 200 that says not ready (or a 503 that says ready) is taken at its word, the body.
  if (ready && result.status === 200) return { ready: true, message: "ready", body: result.body };
  return {
    ready: false,
    message: ready
      ? `/readyz answered ${result.status}`
      : `not ready: failing ${failing.join(", ") || "(none listed)"}`,
    body: result.body,
  };
}
