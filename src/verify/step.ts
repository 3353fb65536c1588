/** One step of `clawops verify`: its verdict, timing, what was seen and the fix. */

export type StepId = "probes" | "doctor" | "websocket" | "chat" | "browser";
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

export type StepOutcome = { detail: string; evidence?: Record<string, unknown> };

/** Thrown by a step for its failure: the words and the fix. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly fix: string,
    readonly evidence: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Thrown by a step that has nothing to check here (a gateway without a Control UI). */
export class StepSkipped extends Error {}

/** Runs a step's work, timed; its StepFailure (or any error) becomes the failed step. */
export async function timed(
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
    if (error instanceof StepSkipped)
      return { ...skipped(id, title, error.message), durationMs: durationMs() };
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

export function skipped(id: StepId, title: string, why: string): VerifyStep {
  return { id, title, verdict: "skip", durationMs: 0, detail: why };
}

/** Behind a proxy, the gateway's trust settings: what a 403 from it means. */
export const PROXY_TRUST_FIX =
  "behind a proxy, list the proxy's address in gateway.trustedProxies, and reach the proxy from an address that is not loopback (OpenClaw refuses a forwarded client that is itself loopback)";

/** A proxy that answers a WebSocket upgrade with plain HTTP. */
export const PROXY_UPGRADE_FIX =
  'forward the Upgrade and Connection headers (Caddy\'s reverse_proxy does by default; nginx needs proxy_http_version 1.1, proxy_set_header Upgrade $http_upgrade and Connection "upgrade")';

/** A token the gateway refused. */
export const TOKEN_FIX =
  "the token is not the gateway's gateway.auth.token: check it (clawops bot rotate-token BOT sets a new one everywhere)";
