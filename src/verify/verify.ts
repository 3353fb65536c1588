import { randomBytes } from "node:crypto";
import { OpsError } from "../core/errors.js";
import { chatTurn } from "../gateway/chat.js";
import { GatewayClient } from "../gateway/client.js";
import type { DeviceKeyring } from "../gateway/device-identity.js";
import { gatewayMethods } from "../gateway/methods.js";

/**
 * Post-deploy verification: each step a user's first chat depends on, in
 * order, with a verdict, its timing, the evidence and the fix. A deployment
 * "works" only when a real chat turn goes through the public URL (the
 * reverse proxy included) and is answered.
 */

export type StepId = "probes" | "doctor" | "websocket" | "chat";
export type Verdict = "pass" | "fail" | "skip";

export interface VerifyStep {
  id: StepId;
  title: string;
  verdict: Verdict;
  durationMs: number;
  /** What was seen: the pass's facts or the failure's words. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
  evidence?: Record<string, unknown>;
}

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
}

export interface VerifyOptions {
  prompt: string;
  /** Budget for each network step; the chat turn has `chatTimeoutMs`. */
  timeoutMs: number;
  chatTimeoutMs: number;
  onStep?: (step: VerifyStep) => void;
}

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
  if (target.doctor) {
    const doctor = target.doctor;
    record(await timed("doctor", "config doctor", () => checkDoctor(doctor)));
  } else {
    record(
      skipped("doctor", "config doctor", "not a registered bot: clawops has no config to check"),
    );
  }
  let client: GatewayClient | null = null;
  const ws = record(
    await timed("websocket", `WebSocket handshake at ${wsUrl}`, async () => {
      const connected = await GatewayClient.connect({
        url: wsUrl,
        token: target.token,
        reconnect: false,
        connectTimeoutMs: options.timeoutMs,
        ...(target.keyring ? { keyring: target.keyring } : {}),
      }).catch((error: unknown) => {
        throw wsFailure(error as Error);
      });
      client = connected;
      return {
        detail: `protocol ${connected.hello.protocol}, OpenClaw ${connected.hello.server.version}`,
        evidence: { protocol: connected.hello.protocol, version: connected.hello.server.version },
      };
    }),
  );
  try {
    if (ws.verdict !== "pass" || !client) {
      record(skipped("chat", "chat round trip", "no WebSocket connection to chat over"));
    } else {
      const connected: GatewayClient = client;
      record(await timed("chat", "chat round trip", () => checkChat(connected, options)));
    }
  } finally {
    (client as GatewayClient | null)?.close();
  }
  const passed =
    steps.every((s) => s.verdict !== "fail") &&
    steps.some((s) => s.id === "chat" && s.verdict === "pass");
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

type StepOutcome = { detail: string; evidence?: Record<string, unknown> };

/** Thrown by a step for its failure: the words and the fix. */
class StepFailure extends Error {
  constructor(
    message: string,
    readonly fix: string,
    readonly evidence: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

async function timed(
  id: StepId,
  title: string,
  work: () => Promise<StepOutcome>,
): Promise<VerifyStep> {
  const started = performance.now();
  const durationMs = () => Math.round(performance.now() - started);
  try {
    const outcome = await work();
    return { id, title, verdict: "pass", durationMs: durationMs(), ...outcome };
  } catch (error) {
    const failure =
      error instanceof StepFailure
        ? error
        : new StepFailure((error as Error).message, "see the message");
    return {
      id,
      title,
      verdict: "fail",
      durationMs: durationMs(),
      detail: failure.message,
      fix: failure.fix,
      ...(Object.keys(failure.evidence).length > 0 ? { evidence: failure.evidence } : {}),
    };
  }
}

function skipped(id: StepId, title: string, why: string): VerifyStep {
  return { id, title, verdict: "skip", durationMs: 0, detail: why };
}

async function checkProbes(base: string, timeoutMs: number): Promise<StepOutcome> {
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
  const ready = await get("/readyz");
  if (ready.status === 403) throw refusedByGateway(`${base}/readyz`, ready.text);
  if (ready.status !== 200 || ready.body?.ready !== true) {
    const failing = Array.isArray(ready.body?.failing)
      ? (ready.body.failing as unknown[]).join(", ")
      : "";
    throw new StepFailure(
      `the gateway is live but not ready (HTTP ${ready.status}${failing ? `, failing: ${failing}` : ""})`,
      "clawops doctor BOT, and the gateway's log (clawops bot logs BOT)",
      { status: ready.status, failing },
    );
  }
  const uptimeMs = typeof ready.body?.uptimeMs === "number" ? ready.body.uptimeMs : null;
  return { detail: "live and ready", evidence: { uptimeMs } };
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

const PROXY_TRUST_FIX =
  "behind a proxy, list the proxy's address in gateway.trustedProxies, and reach the proxy from an address that is not loopback (OpenClaw refuses a forwarded client that is itself loopback)";

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
      'forward the Upgrade and Connection headers (Caddy\'s reverse_proxy does by default; nginx needs proxy_http_version 1.1, proxy_set_header Upgrade $http_upgrade and Connection "upgrade")',
      { code },
    );
  }
  if (code === "GATEWAY_AUTH_REJECTED" || code === "GATEWAY_PAIRING_REQUIRED") {
    return new StepFailure(
      error.message,
      code === "GATEWAY_PAIRING_REQUIRED"
        ? "approve clawops's device on the gateway (openclaw devices approve), or verify on the gateway's host"
        : "the token is not the gateway's gateway.auth.token: check it (clawops bot rotate-token BOT sets a new one everywhere)",
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
