import type { Bot } from "../core/bot.js";
import { sleep } from "../core/time.js";
import { checkLiveness } from "../gateway/liveness.js";
import { probe } from "../gateway/probes.js";
import { type Listener, type ListeningSocket, describeListener } from "../system/proc.js";

export type LiveVerdict =
  | { live: true; version: string | null; socket: ListeningSocket | null }
  | { live: false; reason: string };

const POLL_MS = 100;
/** While /healthz does not answer, who holds the port is looked at this often (it scans /proc). */
const HOLDER_CHECK_EVERY = 5;

/**
 * Waits until `/healthz` on the bot's port answers 200 from process `pid`
 * (or its group). Another process on the port (answering or not) is a port
 * conflict: reported once through `onConflict`, never taken as live, and the
 * end of the wait, since the gateway cannot bind (OpenClaw would retry for
 * 10-20 s before it gives up).
 */
export async function waitUntilLive(
  bot: Bot,
  pid: number,
  timeoutMs: number,
  cancelled: () => boolean,
  onConflict: (listener: Listener) => void,
): Promise<LiveVerdict> {
  const deadline = performance.now() + timeoutMs;
  for (let poll = 0; !cancelled(); poll += 1) {
    const liveness = await checkLiveness(
      { port: bot.port, pid },
      {
        timeoutMs: 1_000,
        identifyUnanswered: poll % HOLDER_CHECK_EVERY === HOLDER_CHECK_EVERY - 1,
      },
    );
    if (cancelled()) break;
    if (liveness.live) {
      const startupz = await probe(`http://127.0.0.1:${bot.port}`, "startupz", {
        timeoutMs: 3_000,
      });
      const version = startupz.ok ? (startupz.body.version ?? null) : null;
      return { live: true, version, socket: liveness.socket };
    }
    // An owner this user cannot see may be a dying socket of our own (a predecessor killed a
    // moment ago): not proof enough of a conflict. The wait goes on.
    const holder = liveness.foreign;
    if (holder && holder.pid !== null) {
      onConflict(holder);
      return {
        live: false,
        reason: `port ${bot.port} is held by ${describeListener(holder)}: the gateway cannot bind it`,
      };
    }
    if (performance.now() >= deadline) {
      return {
        live: false,
        reason: `start timeout: no /healthz 200 from pid ${pid} within ${timeoutMs}ms`,
      };
    }
    await sleep(POLL_MS);
  }
  return { live: false, reason: "superseded" };
}
