import { randomBytes } from "node:crypto";
import { OpsError } from "../core/errors.js";
import { sleep } from "../core/time.js";
import { chatTurn } from "../gateway/chat.js";
import { GatewayClient } from "../gateway/client.js";
import type { DeviceKeyring } from "../gateway/device-identity.js";
import { gatewayMethods } from "../gateway/methods.js";
import { type BrowserOptions, type DevicePairing, checkBrowser } from "./browser.js";
import {
  PROXY_TRUST_FIX,
  PROXY_UPGRADE_FIX,
  type StepId,
  type StepOutcome,
  StepFailure,
  TOKEN_FIX,
  type VerifyStep,
  skipped,
  timed,
} from "./step.js";

export type { StepId, Verdict, VerifyStep } from "./step.js";

/**
 * Post-deploy verification: each step a user's first chat depends on, in
 * order, with a verdict, its timing, the evidence and the fix. A deployment
 * "works" only when a real chat turn goes through the public URL (the
 * reverse proxy included) and is answered.
 */

export interface VerifyReport {
  target: { name: string; url: string };
  steps: VerifyStep[];
  passed: boolean;
  durationMs: number;
  /** The gateway's uptime when verification passed: deploy (its start) to verified. */
  deployToVerifiedMs: number | null;
}

export interface VerifyTarget {
  name: string;
  /** The gateway's base URL as users reach it: `http(s)://host[:port][/prefix]` (a proxy's). */
  url: string;
  token: string;
  /** The doctor on the bot's config (registered bots only): error and warning counts and the first errors. */
  doctor?: () => Promise<{ errors: number; warnings: number; messages: string[] }>;
  /** Off loopback the gateway wants clawops's device identity. */
  keyring?: DeviceKeyring;
  /**
   * Approval of devices on the gateway (registered bots: through their loopback
   * port): clawops's own device once, the browser step's throw-away one for the
   * step's length.
   */
  pairing?: DevicePairing;
}

export interface VerifyOptions {
  prompt: string;
  /** Budget for each network step; the chat turn has `chatTimeoutMs`. */
  timeoutMs: number;
  chatTimeoutMs: number;
  /** The browser step's Chromium and screenshot folder; null skips the step (--no-browser). */
  browser: BrowserOptions | null;
  /** Whether to chat at all (default true): a turn costs tokens; readiness asks for it only when told. */
  chat?: boolean;
  onStep?: (step: VerifyStep) => void;
}

const STEP_ORDER: readonly StepId[] = ["probes", "doctor", "websocket", "chat", "browser"];

/** Runs every step (a step whose input failed is skipped, saying why); never throws for what it finds. */
export async function runVerify(
  target: VerifyTarget,
  options: VerifyOptions,
): Promise<VerifyReport> {
  const started = performance.now();
  const steps: VerifyStep[] = [];
  const record = (step: VerifyStep) => {
    steps.push(step);
    options.onStep?.(step);
    return step;
  };
  const base = target.url.replace(/\/+$/, "");
  const wsUrl = base.replace(/^http/, "ws") + "/";

  const probes = record(
    await timed("probes", "health probes (/healthz, /readyz)", () =>
      checkProbes(base, options.timeoutMs),
    ),
  );
  // The doctor needs nothing from the network steps: it runs beside them (OpenClaw's own
  // lint takes seconds), its line printed when it ends, its place in the report kept.
  const doctorDone = target.doctor
    ? timed("doctor", "config doctor", () => checkDoctor(target.doctor!)).then(record)
    : Promise.resolve(
        record(
          skipped(
            "doctor",
            "config doctor",
            "not a registered bot: clawops has no config to check",
          ),
        ),
      );
  let client: GatewayClient | null = null;
  const ws = record(
    await timed("websocket", `WebSocket handshake at ${wsUrl}`, async () => {
      const connect = () =>
        GatewayClient.connect({
          url: wsUrl,
          token: target.token,
          reconnect: false,
          connectTimeoutMs: options.timeoutMs,
          ...(target.keyring ? { keyring: target.keyring } : {}),
        });
      const connected = await connect()
        .catch(async (error: unknown) => {
          // Through a proxy the gateway wants clawops's device approved: once, for good.
          const requestId = (error as OpsError).details?.requestId;
          if (!target.pairing || (error as OpsError).code !== "GATEWAY_PAIRING_REQUIRED")
            throw error;
          if (typeof requestId !== "string") throw error;
          await target.pairing.approve(requestId);
          return connect();
        })
        .catch((error: unknown) => {
          throw wsFailure(error as Error);
        });
      client = connected;
      return {
        detail: `protocol ${connected.hello.protocol}, OpenClaw ${connected.hello.server.version}`,
        evidence: { protocol: connected.hello.protocol, version: connected.hello.server.version },
      };
    }),
  );
  let chat: VerifyStep;
  try {
    if (options.chat === false) {
      chat = record(skipped("chat", "chat round trip", "not asked for (a chat turn costs tokens)"));
    } else if (ws.verdict !== "pass" || !client) {
      chat = record(skipped("chat", "chat round trip", "no WebSocket connection to chat over"));
    } else {
      const connected: GatewayClient = client;
      chat = record(await timed("chat", "chat round trip", () => checkChat(connected, options)));
    }
  } finally {
    (client as GatewayClient | null)?.close();
  }
  record(await browserStep(target, base, chat, options));
  await doctorDone;
  steps.sort((a, b) => STEP_ORDER.indexOf(a.id) - STEP_ORDER.indexOf(b.id));
  const passed = steps.every((s) => s.verdict !== "fail") && chat.verdict === "pass";
  const durationMs = Math.round(performance.now() - started);
  const uptime = probes.evidence?.uptimeMs;
  return {
    target: { name: target.name, url: base },
    steps,
    passed,
    durationMs,
    deployToVerifiedMs:
      passed && typeof uptime === "number" ? Math.round(uptime + durationMs) : null,
  };
}

/** The Control UI in a real browser, chatting in the chat step's session when it passed. */
async function browserStep(
  target: VerifyTarget,
  base: string,
  chat: VerifyStep,
  options: VerifyOptions,
): Promise<VerifyStep> {
  const title = "Control UI in a browser";
  if (!options.browser) return skipped("browser", title, "--no-browser");
  const browser = options.browser;
  const sessionKey =
    chat.verdict === "pass" && typeof chat.evidence?.sessionKey === "string"
      ? chat.evidence.sessionKey
      : null;
  return timed("browser", title, () =>
    checkBrowser(
      {
        base,
        token: target.token,
        name: target.name,
        sessionKey,
        prompt: options.prompt,
        timeoutMs: options.timeoutMs,
        chatTimeoutMs: options.chatTimeoutMs,
        ...(target.pairing ? { pairing: target.pairing } : {}),
      },
      browser,
    ),
  );
}

export async function checkProbes(base: string, timeoutMs: number): Promise<StepOutcome> {
  const get = async (path: string) => {
    try {
      const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
      const text = await response.text();
      let body: Record<string, unknown> | null = null;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = null;
      }
      // The gateway's refusals say why in error.message: that, rather than the raw JSON.
      const said = (body?.error as { message?: unknown } | undefined)?.message;
      return {
        status: response.status,
        body,
        text: typeof said === "string" ? said : text.slice(0, 200),
      };
    } catch (error) {
      throw new StepFailure(
        `${base}${path} does not answer: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
        "is the gateway (and the proxy in front of it) running? clawops status",
      );
    }
  };
  const health = await get("/healthz");
  if (health.status === 403) throw refusedByGateway(`${base}/healthz`, health.text);
  if (health.status !== 200 || health.body?.ok !== true) {
    throw new StepFailure(
      `${base}/healthz answered HTTP ${health.status}${health.body ? "" : " without JSON"}: not a live OpenClaw gateway`,
      "the URL must reach the gateway's own port (a proxy must forward every path to it)",
      { status: health.status },
    );
  }
  // Right after a deploy or a config change the gateway is briefly not ready on its own
  // (booting its sidecars, reloading plugins, draining for an in-process restart): wait
  // that out within the step's budget rather than fail a deployment that is settling.
  const settleBy = performance.now() + timeoutMs;
  let ready = await get("/readyz");
  let waited = false;
  while (settling(ready) && performance.now() < settleBy) {
    waited = true;
    await sleep(500);
    ready = await get("/readyz");
  }
  if (ready.status === 403) throw refusedByGateway(`${base}/readyz`, ready.text);
  if (ready.status !== 200 || ready.body?.ready !== true) {
    const failing = failingOf(ready.body).join(", ");
    throw new StepFailure(
      `the gateway is live but not ready (HTTP ${ready.status}${failing ? `, failing: ${failing}` : ""}${waited ? `, still after ${timeoutMs} ms` : ""})`,
      "clawops doctor BOT, and the gateway's log (clawops bot logs BOT)",
      { status: ready.status, failing },
    );
  }
  const uptimeMs = typeof ready.body?.uptimeMs === "number" ? ready.body.uptimeMs : null;
  return {
    detail: waited ? "live and ready, once settled" : "live and ready",
    evidence: { uptimeMs },
  };
}

const failingOf = (body: Record<string, unknown> | null): string[] =>
  Array.isArray(body?.failing) ? body.failing.map(String) : [];

/** Reasons OpenClaw 2026.9.6's `/readyz` gives for a state that passes by itself. */
const SETTLING = /^(startup-.+|plugin-reload|gateway-draining)$/;

function settling(ready: { status: number; body: Record<string, unknown> | null }): boolean {
  if (ready.status === 200 && ready.body?.ready === true) return false;
  const failing = failingOf(ready.body);
  return failing.length > 0 && failing.every((reason) => SETTLING.test(reason));
}

/**
 * A 403 from the gateway's own probes means it refused who asked: through a
 * proxy, OpenClaw wants the proxy in `gateway.trustedProxies`, and refuses a
 * proxied client that is itself loopback (`proxy_attribution_required`).
 */
function refusedByGateway(url: string, body: string): StepFailure {
  return new StepFailure(
    `${url} answered HTTP 403: the gateway refused the request${body ? ` (${body.trim()})` : ""}`,
    PROXY_TRUST_FIX,
    { status: 403 },
  );
}

async function checkDoctor(doctor: NonNullable<VerifyTarget["doctor"]>): Promise<StepOutcome> {
  const { errors, warnings, messages } = await doctor();
  if (errors > 0) {
    throw new StepFailure(
      `${errors} error${errors === 1 ? "" : "s"}: ${messages.slice(0, 3).join("; ")}`,
      "clawops doctor --bot BOT shows each with its fix (--fix applies the minimal ones)",
      { errors, warnings },
    );
  }
  return {
    detail: warnings > 0 ? `no errors, ${warnings} warning(s)` : "clean",
    evidence: { errors, warnings },
  };
}

/** A failed handshake as the operator's problem: the proxy, the token, or nothing there. */
function wsFailure(error: Error): StepFailure {
  const code = error instanceof OpsError ? error.code : "UNAVAILABLE";
  if (code === "NOT_OPENCLAW" && /answered HTTP 403 to a WebSocket upgrade/.test(error.message)) {
    return new StepFailure(
      `${error.message}: the gateway refused the proxied upgrade`,
      PROXY_TRUST_FIX,
      {
        code,
      },
    );
  }
  if (code === "NOT_OPENCLAW" && /answered HTTP \d+ to a WebSocket upgrade/.test(error.message)) {
    return new StepFailure(
      `${error.message}: the proxy in front of it does not pass WebSocket upgrades`,
      PROXY_UPGRADE_FIX,
      { code },
    );
  }
  if (code === "GATEWAY_AUTH_REJECTED" || code === "GATEWAY_PAIRING_REQUIRED") {
    return new StepFailure(
      error.message,
      code === "GATEWAY_PAIRING_REQUIRED"
        ? "approve clawops's device on the gateway (openclaw devices approve), or verify on the gateway's host"
        : TOKEN_FIX,
      { code },
    );
  }
  return new StepFailure(
    error.message,
    "is the gateway running and the URL right? clawops status",
    { code },
  );
}

async function checkChat(client: GatewayClient, options: VerifyOptions): Promise<StepOutcome> {
  // A session of its own: a user's conversation never sees the probe.
  const sessionKey = `agent:main:clawops-verify-${randomBytes(4).toString("hex")}`;
  const result = await chatTurn(client, {
    sessionKey,
    message: options.prompt,
    timeoutMs: options.chatTimeoutMs,
  }).catch((error: unknown) => {
    throw new StepFailure(
      (error as Error).message,
      "the agent did not answer in time: check the provider (clawops bot logs BOT) and the model's endpoint",
    );
  });
  if (result.outcome !== "final") {
    const text = result.error ?? `the turn was ${result.outcome}`;
    throw new StepFailure(
      text,
      /No API key found|missing-provider-auth/i.test(text)
        ? "the model's provider has no credential on the gateway: clawops doctor --bot BOT names it; add the key (clawops provision writes keys through OpenClaw's CLI)"
        : "see the gateway's words; clawops bot logs BOT has the rest",
      { sessionKey },
    );
  }
  if (result.reply.trim() === "") {
    throw new StepFailure(
      "the turn ended with an empty reply",
      "check the model and its provider",
      { sessionKey },
    );
  }
  const usage = await turnUsage(client, sessionKey);
  return {
    detail: `replied in ${result.durationMs} ms${usage ? `, ${usage.input} tokens in, ${usage.output} out, $${usage.costUsd.toFixed(6)}` : ""}: "${result.reply.slice(0, 80)}"`,
    evidence: {
      sessionKey,
      replyMs: result.durationMs,
      firstTextMs: result.firstTextMs,
      ...(usage ?? {}),
    },
  };
}

/** The turn's tokens and cost, from the assistant message in the session's history (null when not given). */
async function turnUsage(
  client: GatewayClient,
  sessionKey: string,
): Promise<{ input: number; output: number; costUsd: number } | null> {
  try {
    const history = await gatewayMethods(client).chatHistory({ sessionKey });
    const last = [...history.messages].reverse().find((m) => m.role === "assistant") as
      { usage?: { input?: number; output?: number; cost?: { total?: number } } } | undefined;
    const usage = last?.usage;
    if (!usage) return null;
    return { input: usage.input ?? 0, output: usage.output ?? 0, costUsd: usage.cost?.total ?? 0 };
  } catch {
    return null;
  }
}
