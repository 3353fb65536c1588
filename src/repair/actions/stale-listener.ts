import path from "node:path";
import { z } from "zod";
import type { Bot } from "../../core/bot.js";
import { abortableSleep } from "../../core/time.js";
import {
  environStateDir,
  gatewayLockFiles,
  isLockHolder,
  looksLikeOpenClaw,
  readLock,
} from "../../drivers/discover.js";
import { probe } from "../../gateway/probes.js";
import { signalGroup } from "../../drivers/watch.js";
import {
  type Listener,
  findTcpListener,
  isSameLiveProcess,
  readProcStat,
} from "../../system/proc.js";
import { type ActionContext, defineAction } from "../action.js";

/** Who holds a bot's port, and what clawops can prove about it. */
export interface PortHolder {
  pid: number | null;
  /** /proc start time: the pid is signalled only while it is still this process. */
  startTime: number | null;
  cmdline: string | null;
  /** Its command line is OpenClaw's (`openclaw-gateway`, `openclaw.mjs gateway run`). */
  looksLikeOpenClaw: boolean;
  /** The state dir its environment names (OPENCLAW_STATE_DIR); null when unknown. */
  stateDir: string | null;
  /** Its OPENCLAW_STATE_DIR is the bot's, or a live lock of the bot's state dir names it. */
  sameStateDir: boolean;
  /** It answered /healthz as a gateway, whatever its status (two tries, 2 s each). */
  answers: boolean;
}

/** The process listening on the bot's port, identified; null when the port is free. */
export async function identifyPortHolder(bot: Bot): Promise<PortHolder | null> {
  const listener = findTcpListener(bot.port);
  return listener && identifyListener(bot, listener);
}

/** What clawops can prove about `listener`, the process on the bot's port. */
export async function identifyListener(bot: Bot, listener: Listener): Promise<PortHolder> {
  const pid = listener.pid;
  const stat = pid === null ? null : readProcStat(pid);
  const stateDir = pid === null ? null : environStateDir(pid);
  const locked = gatewayLockFiles(bot.stateDir).some((file) => {
    const lock = readLock(file);
    return lock !== null && lock.pid === pid && isLockHolder(lock);
  });
  return {
    pid,
    startTime: stat?.startTime ?? null,
    cmdline: listener.cmdline,
    looksLikeOpenClaw: looksLikeOpenClaw(listener.cmdline),
    stateDir,
    sameStateDir: pid !== null && (stateDir === path.resolve(bot.stateDir) || locked),
    // Any answer as a gateway (200, or 503 while it starts or stops) means alive, not stale.
    answers: (
      await probe(`http://127.0.0.1:${bot.port}`, "healthz", { timeoutMs: 2_000, tries: 2 })
    ).ok,
  };
}

/** Why `holder` may not be killed for `context`'s bot; null when it may. */
async function refuseKill(context: ActionContext, holder: PortHolder): Promise<string | null> {
  const { bot, settings } = context;
  if (holder.pid === null || holder.startTime === null)
    return "the port's holder is not visible to this user";
  const ownGroup = readProcStat(process.pid)?.pgid;
  if (holder.pid === process.pid || readProcStat(holder.pid)?.pgid === ownGroup)
    return "the port is held by clawops itself (or its process group)";
  if ((await context.gateway.fleetPids()).includes(holder.pid))
    return `pid ${holder.pid} is a supervised gateway: the supervisor handles it`;
  if (holder.answers)
    return `pid ${holder.pid} is a live gateway (it answers /healthz): not stale, never killed`;
  if (holder.looksLikeOpenClaw && holder.stateDir && !holder.sameStateDir)
    return `pid ${holder.pid} is an OpenClaw gateway of another state dir (${holder.stateDir}): another bot's, not killed`;
  if (holder.looksLikeOpenClaw && holder.sameStateDir) return null;
  if (settings.killForeignListeners) return null;
  return `pid ${holder.pid} (${holder.cmdline ?? "unknown"}) is not verifiably an OpenClaw gateway of ${bot.stateDir}; clawops kills such a process only with repair.killForeignListeners: true`;
}

export const killVerifiedStaleListener = defineAction({
  name: "kill-verified-stale-listener",
  description:
    "kill the process holding the bot's port when it is verifiably a stale OpenClaw gateway of the same state dir that does not answer /healthz (never a live gateway, another bot's, or a foreign process unless configured)",
  params: z.strictObject({}),
  async precondition(context) {
    const holder = await identifyPortHolder(context.bot);
    if (!holder) return `port ${context.bot.port} is free`;
    return refuseKill(context, holder);
  },
  async execute(context) {
    // Checked again right before the kill: the holder may have changed since the precondition.
    const holder = await identifyPortHolder(context.bot);
    const refusal = holder ? await refuseKill(context, holder) : `port ${context.bot.port} is free`;
    if (!holder || refusal) throw new Error(refusal ?? "port is free");
    const ended = await terminate(holder.pid!, holder.startTime!, context.signal);
    const whose = holder.sameStateDir
      ? ` of ${context.bot.stateDir}`
      : " (foreign, allowed by repair.killForeignListeners)";
    return {
      detail: `${ended} pid ${holder.pid} (${holder.cmdline ?? "unknown"}), a stale listener on port ${context.bot.port}${whose}`,
    };
  },
  async verify(context) {
    for (let i = 0; i < 25 && !context.signal.aborted; i++) {
      if (!findTcpListener(context.bot.port)) return null;
      await abortableSleep(200, context.signal);
    }
    return `port ${context.bot.port} is still held`;
  },
  deepFix: {
    cause(evidence) {
      const holder = evidence.portHolder;
      if (!holder) return null;
      const who = `pid ${holder.pid ?? "?"} (${holder.cmdline ?? "unknown"})`;
      return holder.looksLikeOpenClaw && holder.sameStateDir
        ? `port held by a stale gateway of the same state dir: ${who}${holder.answers ? "" : ", not answering /healthz"}`
        : `port held by a foreign process: ${who}`;
    },
  },
});

/**
 * SIGTERM (with SIGCONT, so that a stopped process can act on it), then
 * SIGKILL after 10 s; the whole process group when the pid leads one. Each
 * signal only while the pid is still the process identified (same start
 * time). When clawops is stopping, the process is left as it is after SIGTERM.
 */
async function terminate(pid: number, startTime: number, signal: AbortSignal): Promise<string> {
  const same = () => isSameLiveProcess(pid, startTime);
  const send = (sig: NodeJS.Signals) => {
    if (same()) signalGroup(pid, sig);
  };
  send("SIGTERM");
  send("SIGCONT");
  for (let i = 0; i < 50 && same() && !signal.aborted; i++) await abortableSleep(200, signal);
  if (!same()) return "terminated";
  if (signal.aborted) return "sent SIGTERM to (clawops stopped before it ended)";
  send("SIGKILL");
  for (let i = 0; i < 25 && same(); i++) await abortableSleep(200, signal);
  return "killed (SIGKILL)";
}
