import type { Bot } from "../core/bot.js";
import { sleep } from "../core/time.js";
import { probe } from "../gateway/probes.js";
import {
  type Listener,
  type ListeningSocket,
  findTcpListener,
  isListenerOf,
} from "../system/proc.js";

export type LiveVerdict =
  | { live: true; version: string | null; socket: ListeningSocket | null }
  | { live: false; reason: string };

const POLL_MS = 100;

/**
 * Waits until `/healthz` on the bot's port answers 200 from process `pid`
 * (or its group). An answer from any other process is a port conflict,
 * reported once through `onConflict` and never taken as live.
 */
export async function waitUntilLive(
  bot: Bot,
  pid: number,
  timeoutMs: number,
  cancelled: () => boolean,
  onConflict: (listener: Listener) => void,
): Promise<LiveVerdict> {
  const baseUrl = `http://127.0.0.1:${bot.port}`;
  const deadline = performance.now() + timeoutMs;
  let conflict = false;
  while (!cancelled()) {
    const health = await probe(baseUrl, "healthz", { timeoutMs: 1_000 });
    if (cancelled()) break;
    if (health.ok && health.status === 200 && health.body.ok) {
      const listener = findTcpListener(bot.port, [pid]);
      if (!listener || isListenerOf(listener, pid)) {
        const startupz = await probe(baseUrl, "startupz", { timeoutMs: 3_000 });
        const version = startupz.ok ? (startupz.body.version ?? null) : null;
        return { live: true, version, socket: listener?.socket ?? null };
      }
      if (!conflict) onConflict(listener);
      conflict = true;
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
