import { z } from "zod";
import { formatDurationMs } from "../../core/duration.js";
import { type GatewayInstance, LIVE_STATES } from "../../core/gateway-state.js";
import { abortableSleep } from "../../core/time.js";
import { checkLiveness, checkReadiness } from "../../gateway/liveness.js";
import { type ActionContext, defineAction } from "../action.js";

const NO_PARAMS = z.strictObject({});
const UP: ReadonlySet<string> = new Set(["running", "degraded"]);

/**
 * Null when the bot's gateway is up, started after `sinceMs` (a new
 * instance, when given), and live (`checkLiveness`: `/healthz` of that very
 * process answers 200, not another listener on the port); otherwise what is wrong.
 */
export async function checkLive(context: ActionContext, sinceMs: number | null = null) {
  const instance = await context.gateway.instance();
  if (!instance || !UP.has(instance.state) || instance.pid === null)
    return `the gateway is ${instance?.state ?? "unknown"}${instance ? `: ${instance.reason}` : ""}`;
  if (sinceMs !== null && instance.startedAt && Date.parse(instance.startedAt) < sinceMs)
    return `pid ${instance.pid} started before the fault was detected: not a new instance`;
  const liveness = await checkLiveness(
    { port: context.bot.port, pid: instance.pid },
    { timeoutMs: 3_000 },
  );
  return liveness.live ? null : liveness.message;
}

/**
 * Null when the repaired gateway is back: live (`checkLive`) and, after a
 * readiness fault, ready as well within the verify timeout. A restart that
 * brings back a live gateway that is still not ready has not repaired it.
 */
export async function checkRecovered(context: ActionContext, sinceMs: number | null = null) {
  const live = await checkLive(context, sinceMs);
  return live === null && context.requireReady ? waitReady(context) : live;
}

async function waitReady(context: ActionContext): Promise<string | null> {
  const { verifyTimeout } = context.settings;
  const deadline = Date.now() + verifyTimeout;
  for (;;) {
    const readiness = await checkReadiness(context.bot.port, 3_000);
    if (readiness.ready) return null;
    if (Date.now() >= deadline || context.signal.aborted)
      return `live, but not ready after ${formatDurationMs(verifyTimeout)} (/readyz: ${readiness.message})`;
    await abortableSleep(1_000, context.signal);
  }
}

/** Null when the bot's gateway is not live; otherwise why the action must wait. */
export async function gatewayStopped(context: ActionContext): Promise<string | null> {
  const instance = await context.gateway.instance();
  return instance && LIVE_STATES.has(instance.state)
    ? `the gateway is ${instance.state}: stop it first`
    : null;
}

/** Waits while the supervisor is in the middle of something (a relaunch after a crash). */
function settled(context: ActionContext): Promise<GatewayInstance | null> {
  return context.gateway.awaitRelaunch(context.settings.verifyTimeout, context.signal);
}

export const restart = defineAction({
  name: "restart",
  description:
    "restart the bot's gateway (SIGTERM, drain, SIGKILL after the stop timeout, start), verified by /healthz of the new process",
  params: NO_PARAMS,
  precondition: async () => null,
  async execute(context) {
    const started = Date.now();
    const before = await settled(context);
    // The supervisor relaunches a crashed gateway by itself: a relaunch since the
    // fault that came up is the restart; killing it to start another would double the boot.
    if (before && UP.has(before.state) && (await checkLive(context, context.since)) === null)
      return { detail: `the supervisor's relaunch is up: pid ${before.pid}` };
    const after = await context.gateway.restart("repair: restart");
    return {
      detail: `restarted: pid ${before?.pid ?? "none"} → ${after.pid ?? "none"} (${after.state}) in ${formatDurationMs(Date.now() - started)}`,
    };
  },
  verify: (context) => checkRecovered(context, context.since),
});

export const stop = defineAction({
  name: "stop",
  description: "stop the bot's gateway (SIGTERM, drain, then SIGKILL for the whole process group)",
  params: NO_PARAMS,
  precondition: async () => null,
  async execute(context) {
    const after = await context.gateway.stop("repair: stop");
    return { detail: `stopped (${after.reason})` };
  },
  async verify(context) {
    const instance = await context.gateway.instance();
    return instance?.state === "stopped" ? null : `the gateway is ${instance?.state ?? "unknown"}`;
  },
});

export const start = defineAction({
  name: "start",
  description: "start the bot's gateway, verified by /healthz of the new process",
  params: NO_PARAMS,
  precondition: async () => null,
  async execute(context) {
    const after = await context.gateway.start("repair: start");
    return { detail: `started: pid ${after.pid ?? "none"} (${after.state}: ${after.reason})` };
  },
  verify: (context) => checkRecovered(context),
});

export const wait = defineAction({
  name: "wait",
  description: "wait a number of seconds (1-300) before the next action",
  params: z.strictObject({ seconds: z.number().int().min(1).max(300) }),
  precondition: async () => null,
  async execute(context, { seconds }) {
    await abortableSleep(seconds * 1_000, context.signal);
    if (context.signal.aborted) throw new Error("interrupted: clawops is stopping");
    return { detail: `waited ${seconds}s` };
  },
  verify: async () => null,
});
