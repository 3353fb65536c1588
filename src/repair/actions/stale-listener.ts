import path from "node:path";
import { z } from "zod";
import type { Bot } from "../../core/bot.js";
import { abortableSleep } from "../../core/time.js";
import { gatewayLockFiles, processStateDir, readLock } from "../../drivers/discover.js";
import { probe } from "../../gateway/probes.js";
import { findTcpListener, isPidAlive, readProcStat } from "../../system/proc.js";
import { type ActionContext, defineAction } from "../action.js";

/** Who holds a bot's port, and what clawops can prove about it. */
export interface PortHolder {
  pid: number | null;
  cmdline: string | null;
  /** Its command line is OpenClaw's (`openclaw-gateway`, `openclaw.mjs gateway run`). */
  looksLikeOpenClaw: boolean;
  /** Its OPENCLAW_STATE_DIR (or working directory) is the bot's, or a lock of the bot's state dir names it. */
  sameStateDir: boolean;
  /** It answers /healthz as a gateway within 2 s. */
  answers: boolean;
}

/** The process listening on the bot's port, identified; null when the port is free. */
export async function identifyPortHolder(bot: Bot): Promise<PortHolder | null> {
  const listener = findTcpListener(bot.port);
  if (!listener) return null;
  const health = await probe(`http://127.0.0.1:${bot.port}`, "healthz", { timeoutMs: 2_000 });
  const pid = listener.pid;
  const lockedBy = gatewayLockFiles(bot.stateDir).map((file) => readLock(file)?.pid);
  return {
    pid,
    cmdline: listener.cmdline,
    looksLikeOpenClaw: /openclaw/i.test(listener.cmdline ?? ""),
    sameStateDir:
      pid !== null &&
      (processStateDir(pid) === path.resolve(bot.stateDir) || lockedBy.includes(pid)),
    answers: health.ok && health.status === 200,
  };
}

/** Why `holder` may not be killed for `context`'s bot; null when it may. */
function refuseKill(context: ActionContext, holder: PortHolder, supervisedPid: number | null) {
  if (holder.pid === null) return "the port's holder is not visible to this user";
  if (holder.pid === process.pid) return "the port is held by clawops itself";
  const verified = holder.looksLikeOpenClaw && holder.sameStateDir;
  if (verified && holder.answers)
    return `pid ${holder.pid} is a live gateway of ${context.bot.stateDir} (it answers /healthz): it is adopted, not killed`;
  if (holder.pid === supervisedPid && holder.answers)
    return "the port is held by the bot's own gateway";
  if (!verified && !context.settings.killForeignListeners) {
    return `pid ${holder.pid} (${holder.cmdline ?? "unknown"}) is not verifiably an OpenClaw gateway of ${context.bot.stateDir}; clawops kills such a process only with repair.killForeignListeners: true`;
  }
  return null;
}

export const killVerifiedStaleListener = defineAction({
  name: "kill-verified-stale-listener",
  description:
    "kill the process holding the bot's port when it is verifiably a stale OpenClaw gateway of the same state dir (never a foreign process unless configured)",
  params: z.strictObject({}),
  async precondition(context) {
    const holder = await identifyPortHolder(context.bot);
    if (!holder) return `port ${context.bot.port} is free`;
    const instance = await context.gateway.instance();
    return refuseKill(context, holder, instance?.pid ?? null);
  },
  async execute(context) {
    const holder = await identifyPortHolder(context.bot);
    const instance = await context.gateway.instance();
    const refusal = holder ? refuseKill(context, holder, instance?.pid ?? null) : "port is free";
    // Checked again right before the kill: the holder may have changed since the precondition.
    if (!holder || refusal) throw new Error(refusal ?? "port is free");
    const pid = holder.pid!;
    const signalled = await terminate(pid, context.signal);
    return {
      detail: `${signalled} pid ${pid} (${holder.cmdline ?? "unknown"}), a stale listener on port ${context.bot.port}${holder.sameStateDir ? ` of ${context.bot.stateDir}` : " (foreign, allowed by repair.killForeignListeners)"}`,
    };
  },
  async verify(context) {
    for (let i = 0; i < 25; i++) {
      const listener = findTcpListener(context.bot.port);
      if (!listener) return null;
      await abortableSleep(200, context.signal);
    }
    return `port ${context.bot.port} is still held`;
  },
});

/**
 * SIGTERM (with SIGCONT, so that a stopped process can act on it), then
 * SIGKILL after 10 s; the whole process group when the pid leads one.
 * Returns how it ended.
 */
async function terminate(pid: number, signal: AbortSignal): Promise<string> {
  const target = readProcStat(pid)?.pgid === pid ? -pid : pid;
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(target, sig);
    } catch {
      // Gone already.
    }
  };
  send("SIGTERM");
  send("SIGCONT");
  for (let i = 0; i < 50 && isPidAlive(pid); i++) await abortableSleep(200, signal);
  if (!isPidAlive(pid)) return "terminated";
  send("SIGKILL");
  for (let i = 0; i < 25 && isPidAlive(pid); i++) await abortableSleep(200, signal);
  return "killed (SIGKILL)";
}
