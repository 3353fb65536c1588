import { OpsError, errorMessage } from "../core/errors.js";
import { type AuthMode, resolveAuthMode } from "./auth.js";
import { GatewayClient } from "./client.js";
import { versionSupport } from "./compat.js";
import type { DeviceKeyring } from "./device-identity.js";
import { gatewayMethods } from "./methods.js";
import { type GatewayHttpReport, probeGatewayHttp } from "./probes.js";

/** A gateway's two addresses: the HTTP probes and the WebSocket, on one port. */
export interface GatewayUrls {
  httpUrl: string;
  wsUrl: string;
}

/**
 * Reads `http://h:p`, `https://h:p`, `ws://h:p`, `wss://h:p`, `h:p` or a bare
 * port (loopback) into the gateway's URLs; null when `target` is none of these
 * (a bot name, say).
 */
export function resolveGatewayUrls(target: string): GatewayUrls | null {
  const text = target.trim();
  let url: URL;
  if (/^\d{1,5}$/.test(text)) url = new URL(`http://127.0.0.1:${text}`);
  else if (/^(https?|wss?):\/\//i.test(text)) url = new URL(text);
  else if (/^[^\s/:]+:\d{1,5}$/.test(text) || /^\[[0-9a-f:]+\]:\d{1,5}$/i.test(text))
    url = new URL(`http://${text}`);
  else return null;
  const secure = url.protocol === "https:" || url.protocol === "wss:";
  const host = url.host;
  return {
    httpUrl: `${secure ? "https" : "http"}://${host}`,
    wsUrl: `${secure ? "wss" : "ws"}://${host}/`,
  };
}

export type Verdict =
  | "healthy"
  | "degraded"
  | "starting"
  | "unreachable"
  | "timeout"
  | "not-openclaw"
  | "auth-rejected"
  | "pairing-required"
  | "protocol-mismatch"
  | "error";

export type ConnectReport =
  | {
      ok: true;
      latencyMs: number;
      protocol: number;
      authMode: "backend" | "device";
      /** How the gateway authenticated clawops: token, device-token, ... */
      authMethod: string | null;
      scopes: string[];
      serverVersion: string;
      /** Null from gateways that send none (2026.7.35). */
      bootId: string | null;
      methods: number;
    }
  | {
      ok: false;
      latencyMs: number;
      authMode: "backend" | "device";
      code: string;
      message: string;
      details: Record<string, unknown>;
    };

export interface RpcReport {
  ok: boolean;
  /** Round trips of the `health` RPC, in order. */
  samplesMs: number[];
  medianMs: number | null;
  maxMs: number | null;
  error?: string;
}

export interface GatewayInspection {
  target: GatewayUrls;
  verdict: Verdict;
  summary: string;
  version: {
    value: string | null;
    source: "startupz" | "hello" | null;
    support: ReturnType<typeof versionSupport> | null;
  };
  http: GatewayHttpReport;
  connect: ConnectReport | null;
  health: RpcReport | null;
}

export interface InspectOptions {
  token?: string;
  auth?: AuthMode;
  keyring?: DeviceKeyring;
  timeoutMs?: number;
  /** `health` RPC round trips to time; default 5. */
  samples?: number;
}

/**
 * Everything `clawops gateway probe` reports, as data: the HTTP probes, the
 * version and how well clawops knows it, the WebSocket handshake and auth
 * result, and `health` round trips. Never throws for a gateway's fault.
 */
export async function inspectGateway(
  target: GatewayUrls,
  options: InspectOptions = {},
): Promise<GatewayInspection> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const http = await probeGatewayHttp(target.httpUrl, { timeoutMs });
  let connect: ConnectReport | null = null;
  let health: RpcReport | null = null;
  let helloVersion: string | null = null;
  // Nothing answers on the port: the WebSocket would say the same thing again.
  if (http.isOpenClaw || !allFailed(http, "unreachable")) {
    const authMode = resolveAuthMode({
      url: target.wsUrl,
      mode: options.auth ?? "auto",
      protocols: { min: 0, max: 0 },
    });
    const started = performance.now();
    try {
      const client = await GatewayClient.connect({
        url: target.wsUrl,
        token: options.token,
        auth: options.auth,
        keyring: options.keyring,
        connectTimeoutMs: timeoutMs,
        requestTimeoutMs: timeoutMs,
        reconnect: false,
      });
      const hello = client.hello;
      helloVersion = hello.server.version;
      connect = {
        ok: true,
        latencyMs: round(performance.now() - started),
        protocol: hello.protocol,
        authMode,
        authMethod: hello.auth.method ?? null,
        scopes: hello.auth.scopes,
        serverVersion: hello.server.version,
        bootId: hello.server.bootId ?? null,
        methods: hello.features.methods.length,
      };
      health = await timeHealth(client, options.samples ?? 5);
      client.close();
    } catch (error) {
      const ops = error instanceof OpsError ? error : null;
      connect = {
        ok: false,
        latencyMs: round(performance.now() - started),
        authMode,
        code: ops?.code ?? "INTERNAL",
        message: errorMessage(error),
        details: ops?.details ?? {},
      };
    }
  }
  const version = http.version
    ? { value: http.version, source: "startupz" as const }
    : helloVersion
      ? { value: helloVersion, source: "hello" as const }
      : { value: null, source: null };
  const verdict = judge(http, connect, health);
  return {
    target,
    verdict,
    summary: summarize(verdict, http, connect),
    version: { ...version, support: version.value ? versionSupport(version.value) : null },
    http,
    connect,
    health,
  };
}

async function timeHealth(client: GatewayClient, samples: number): Promise<RpcReport> {
  const api = gatewayMethods(client);
  const samplesMs: number[] = [];
  try {
    let ok = true;
    for (let i = 0; i < samples; i += 1) {
      const started = performance.now();
      ok = (await api.health()).ok && ok;
      samplesMs.push(round(performance.now() - started));
    }
    const sorted = [...samplesMs].sort((a, b) => a - b);
    return {
      ok,
      samplesMs,
      medianMs: sorted[Math.floor(sorted.length / 2)] ?? null,
      maxMs: sorted.at(-1) ?? null,
    };
  } catch (error) {
    return { ok: false, samplesMs, medianMs: null, maxMs: null, error: errorMessage(error) };
  }
}

function allFailed(http: GatewayHttpReport, failure: string): boolean {
  return Object.values(http.probes).every((p) => !p.ok && p.failure === failure);
}

const CONNECT_VERDICTS: Record<string, Verdict> = {
  GATEWAY_AUTH_REJECTED: "auth-rejected",
  GATEWAY_PAIRING_REQUIRED: "pairing-required",
  GATEWAY_PROTOCOL_MISMATCH: "protocol-mismatch",
  NOT_OPENCLAW: "not-openclaw",
  TIMEOUT: "timeout",
  UNAVAILABLE: "starting",
};

function judge(
  http: GatewayHttpReport,
  connect: ConnectReport | null,
  health: RpcReport | null,
): Verdict {
  if (!http.isOpenClaw) {
    if (allFailed(http, "unreachable")) return "unreachable";
    if (Object.values(http.probes).some((p) => !p.ok && p.failure === "not-openclaw"))
      return "not-openclaw";
    return "timeout";
  }
  if (!http.started) return "starting";
  if (connect && !connect.ok) return CONNECT_VERDICTS[connect.code] ?? "error";
  if (!http.live || (health && !health.ok)) return "error";
  return http.ready ? "healthy" : "degraded";
}

function summarize(
  verdict: Verdict,
  http: GatewayHttpReport,
  connect: ConnectReport | null,
): string {
  const failed = connect && !connect.ok ? connect.message : "";
  const firstProbe = Object.values(http.probes).find((p) => !p.ok);
  const probeMessage = firstProbe && !firstProbe.ok ? firstProbe.message : "";
  switch (verdict) {
    case "healthy":
      return "live, ready and answering RPCs";
    case "degraded":
      return `live but not ready: failing ${http.failing.join(", ") || "(none listed)"}`;
    case "starting":
      return failed || "the gateway is starting";
    case "unreachable":
    case "timeout":
    case "not-openclaw":
      return probeMessage || failed;
    default:
      return failed || "the gateway answered, but its health check failed";
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
