import { z } from "zod";
import { botNameSchema } from "../core/bot.js";
import { errorMessage, isOpsError } from "../core/errors.js";
import { type ChatTurnResult, chatTurn } from "../gateway/chat.js";
import { GatewayClient } from "../gateway/client.js";
import { checkReadiness } from "../gateway/liveness.js";
import { gatewayTokenFrom, readOpenClawConfig } from "../gateway/openclaw-config.js";
import {
  type CanaryFacts,
  type Check,
  type CheckHistory,
  type CheckOutcome,
  checkSettings,
} from "./check.js";

/** Below this a canary would mostly measure itself; tests use seconds, real use minutes. */
const MIN_PERIOD_MS = 5_000;

/** `/pattern/flags`: a regular expression; anything else is a substring. */
const REGEX = /^\/(.+)\/([dgimsuvy]*)$/s;

const schema = checkSettings({ period: "15m", timeout: "60s", failures: 2 })
  .extend({
    /** Off by default: every run is a real chat turn, which costs tokens. */
    enabled: z.boolean().default(false),
    /** What the canary says. */
    prompt: z.string().min(1).max(2_000).default("Reply with the word OK."),
    /**
     * What the reply must contain: a substring (ignoring case), or `/regex/flags`.
     * Absent: any reply passes.
     */
    expect: z
      .string()
      .min(1)
      .max(500)
      .refine((text) => compileExpectation(text) !== null, {
        error: "expected a substring or a valid /regex/flags",
      })
      .optional(),
    /** A session of the canary's own: never a user's (its history grows by a turn a run). */
    sessionKey: z
      .string()
      .regex(/^agent:[A-Za-z0-9_-]+:[A-Za-z0-9._:-]+$/, {
        error: "expected agent:<agentId>:<name>, e.g. agent:main:clawops-canary",
      })
      .refine((key) => !/^agent:[^:]+:main$/.test(key), {
        error: "agent:<id>:main is the agent's main session, a user's: give the canary its own",
      })
      .default("agent:main:clawops-canary"),
    /**
     * Its own spend cap per UTC day, US dollars: once the canary's session has cost this
     * much today, runs are skipped (not failed) until midnight UTC.
     */
    maxCostUsdPerDay: z.number().positive().max(1_000).default(0.5),
    /** Only these bots (by name); absent: every bot. */
    bots: z.array(botNameSchema).optional(),
  })
  .superRefine((settings, ctx) => {
    if (settings.period < MIN_PERIOD_MS)
      ctx.addIssue({
        code: "custom",
        path: ["period"],
        message: `expected at least ${MIN_PERIOD_MS / 1000}s (a canary is a real chat turn: use minutes)`,
      });
    if (settings.timeout >= settings.period)
      ctx.addIssue({
        code: "custom",
        path: ["timeout"],
        message: "expected less than period",
      });
  });

export type CanarySettings = z.output<typeof schema>;

/**
 * A real chat round trip through the gateway, as a user's message would go
 * (`chat.send` into a session of its own, then the turn's `chat` events). A
 * reply that does not come, comes as the gateway's error ("No API key found
 * for provider ...") or misses `expect` fails it; `failures` in a row make the
 * gateway degraded, never a restart by itself. Off by default (it costs
 * tokens); skipped, not failed, when a budget paused the bot or the canary's
 * own spend today reached `maxCostUsdPerDay`.
 */
export const canary: Check<CanarySettings> = {
  name: "canary",
  effect: "degrade",
  schema,
  appliesTo: (bot, settings) => !settings.bots || settings.bots.includes(bot.name),
  async run(target, settings, signal, history) {
    const { bot, services } = target;
    const nowMs = Date.now();
    const since = utcDayStart(nowMs);
    const selfCounted = costInHistory(history, since);
    if (!services) return skipped("skipped: no budget or spend to check against", selfCounted);
    try {
      await services.admitChat(bot);
    } catch (error) {
      if (isOpsError(error) && error.code === "BUDGET_EXCEEDED")
        return skipped("skipped: the bot is paused by its budget", selfCounted);
      // Not the gateway's fault: no verdict on it, and no spend without knowing the budget.
      return skipped(`skipped: cannot check the bot's budget: ${errorMessage(error)}`, null);
    }
    let stored: number;
    try {
      stored = await services.sessionCostUsd(bot, settings.sessionKey, since);
    } catch (error) {
      return skipped(`skipped: cannot read the canary's spend: ${errorMessage(error)}`, null);
    }
    const spentTodayUsd = Math.max(stored, selfCounted);
    if (spentTodayUsd >= settings.maxCostUsdPerDay)
      return skipped(
        `skipped: budget cap (the canary spent $${spentTodayUsd.toFixed(4)} of its $${settings.maxCostUsdPerDay.toFixed(2)} today)`,
        spentTodayUsd,
      );

    // A gateway that is not ready (booting, or failing /readyz) is the readyz check's to judge:
    // a turn now would spend tokens to learn the same, and count a boot as a failure.
    const readiness = await checkReadiness(bot.port, Math.min(2_000, settings.timeout / 4));
    if (!readiness.ready)
      return skipped(`skipped: the gateway is not ready (${readiness.message})`, spentTodayUsd);
    const masked = (outcome: CheckOutcome): CheckOutcome =>
      outcome.ok ? outcome : { ...outcome, message: services.redact(bot, outcome.message) };
    let token: string | undefined;
    try {
      token =
        gatewayTokenFrom(readOpenClawConfig(bot.configPath), services.gatewayEnv(bot)) ?? undefined;
    } catch (error) {
      return masked(
        failed(`cannot read the gateway's token: ${errorMessage(error)}`, spentTodayUsd),
      );
    }
    const started = performance.now();
    let client: GatewayClient | null = null;
    const close = () => client?.close();
    signal.addEventListener("abort", close, { once: true });
    try {
      client = await GatewayClient.connect({
        url: `${target.httpUrl.replace(/^http/, "ws")}/`,
        ...(token ? { token } : {}),
        auth: "backend",
        connectTimeoutMs: Math.min(10_000, settings.timeout / 4),
        requestTimeoutMs: settings.timeout,
        // A gateway still booting answers "retry shortly": wait, within half the run's budget.
        bootWaitMs: settings.timeout / 2,
        reconnect: false,
      });
      // The turn ends within the run's timeout: the check loop's own limit never has to.
      const connectedMs = Math.round(performance.now() - started);
      const left = settings.timeout - connectedMs - 100;
      if (left < 1_000)
        return failed(
          `connected only after ${connectedMs}ms: no time left for a turn`,
          spentTodayUsd,
        );
      const turn = await chatTurn(client, {
        sessionKey: settings.sessionKey,
        message: settings.prompt,
        timeoutMs: Math.round(left),
      });
      return masked(resolveCanaryOutcome(turn, settings.expect, spentTodayUsd));
    } catch (error) {
      return masked(failed(errorMessage(error), spentTodayUsd));
    } finally {
      signal.removeEventListener("abort", close);
      close();
    }
  },
};

/** A finished turn as the canary judges it: a reply (containing `expect`) passes. Pure. */
export function resolveCanaryOutcome(
  turn: Pick<ChatTurnResult, "outcome" | "reply" | "error" | "durationMs" | "costUsd">,
  expect: string | undefined,
  spentTodayUsd: number,
): CheckOutcome {
  const facts = (outcome: CanaryFacts["outcome"]): CheckOutcome["facts"] => ({
    canary: { outcome, latencyMs: turn.durationMs, costUsd: turn.costUsd, spentTodayUsd },
  });
  const seconds = `${(turn.durationMs / 1000).toFixed(1)}s`;
  if (turn.outcome === "error")
    return {
      ok: false,
      message: `the gateway answered an error after ${seconds}: ${turn.error ?? "unknown"}`,
      facts: facts("fail"),
    };
  if (turn.outcome === "aborted")
    return { ok: false, message: `the turn was aborted after ${seconds}`, facts: facts("fail") };
  const reply = turn.reply.trim();
  if (reply === "")
    return { ok: false, message: `an empty reply after ${seconds}`, facts: facts("fail") };
  if (expect !== undefined && !compileExpectation(expect)!(reply))
    return {
      ok: false,
      message: `expectation not met: the reply ${JSON.stringify(clip(reply))} does not contain ${expect}`,
      facts: facts("fail"),
    };
  return { ok: true, message: `replied in ${seconds}`, facts: facts("pass") };
}

/** A test for a reply, or null when `expect` is a regex that does not compile. */
export function compileExpectation(expect: string): ((reply: string) => boolean) | null {
  const match = REGEX.exec(expect);
  if (!match) {
    const wanted = expect.toLowerCase();
    return (reply) => reply.toLowerCase().includes(wanted);
  }
  try {
    // No `g` or `y`: a stateful regex would make `test` depend on the previous run.
    const regex = new RegExp(match[1]!, match[2]!.replace(/[gy]/g, ""));
    return (reply) => regex.test(reply);
  } catch {
    return null;
  }
}

/** Midnight UTC of the day of `nowMs`, ISO 8601 (the budgets' day, too). */
export function utcDayStart(nowMs: number): string {
  const day = new Date(nowMs);
  day.setUTCHours(0, 0, 0, 0);
  return day.toISOString();
}

/** What earlier runs on this process counted themselves since `since` (ISO). */
export function costInHistory(history: CheckHistory, since: string): number {
  const from = Date.parse(since);
  return history.reduce(
    (sum, { atMs, outcome }) => (atMs >= from ? sum + (outcome.facts?.canary?.costUsd ?? 0) : sum),
    0,
  );
}

function skipped(message: string, spentTodayUsd: number | null): CheckOutcome {
  // Not a verdict on the gateway: it neither fails nor holds a degraded state.
  return {
    ok: true,
    message,
    facts: { canary: { outcome: "skipped", latencyMs: null, costUsd: null, spentTodayUsd } },
  };
}

function failed(message: string, spentTodayUsd: number): CheckOutcome {
  return {
    ok: false,
    message,
    facts: { canary: { outcome: "fail", latencyMs: null, costUsd: null, spentTodayUsd } },
  };
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
