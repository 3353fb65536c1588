import type http from "node:http";
import https from "node:https";
import { z } from "zod";
import { errorMessage } from "../core/errors.js";
import { type HttpAnswer, plainHttpGet } from "./http-get.js";

/**
 * The gateway's unauthenticated HTTP probes (`/healthz`, `/startupz`,
 * `/readyz`), parsed into typed results. Probes never throw: every outcome,
 * including "nothing listens" and "this is not OpenClaw", is data.
 */

const healthzSchema = z.looseObject({ ok: z.boolean(), status: z.string() });

const startupzSchema = z.looseObject({
  ok: z.boolean(),
  status: z.enum(["started", "starting", "draining"]),
  version: z.string().optional(),
  uptimeMs: z.number().optional(),
  pendingReason: z.string().optional(),
});

const readyzSchema = z.looseObject({
  ready: z.boolean(),
  failing: z.array(z.string()).default([]),
  uptimeMs: z.number().optional(),
  eventLoop: z
    .looseObject({
      degraded: z.boolean(),
      delayP99Ms: z.number().optional(),
      delayMaxMs: z.number().optional(),
      utilization: z.number().optional(),
    })
    .optional(),
});

export type Healthz = z.infer<typeof healthzSchema>;
export type Startupz = z.infer<typeof startupzSchema>;
export type Readyz = z.infer<typeof readyzSchema>;

/** Why a probe did not yield an OpenClaw answer. */
export type ProbeFailure =
  | "unreachable" // connection refused, reset, DNS
  | "timeout" // connected (or not) but no answer in time
  | "not-openclaw"; // an HTTP server answered, but not as an OpenClaw gateway

export type ProbeResult<T> =
  | { ok: true; status: number; latencyMs: number; body: T }
  | { ok: false; status: number | null; latencyMs: number; failure: ProbeFailure; message: string };

const PROBES = {
  healthz: { path: "/healthz", schema: healthzSchema, statuses: [200, 503] },
  startupz: { path: "/startupz", schema: startupzSchema, statuses: [200, 503] },
  readyz: { path: "/readyz", schema: readyzSchema, statuses: [200, 503] },
} as const;

type ProbeName = keyof typeof PROBES;
type ProbeBody<N extends ProbeName> = z.infer<(typeof PROBES)[N]["schema"]>;

/**
 * Runs one probe against a gateway's base URL (`http://127.0.0.1:18789`).
 * `tries` (default 1) asks again while no OpenClaw answer came: one slow
 * answer from a busy gateway is not a verdict.
 */
export async function probe<N extends ProbeName>(
  baseUrl: string,
  name: N,
  options: { timeoutMs?: number; tries?: number } = {},
): Promise<ProbeResult<ProbeBody<N>>> {
  let result = await probeOnce(baseUrl, name, options.timeoutMs);
  for (let left = (options.tries ?? 1) - 1; left > 0 && !result.ok; left--)
    result = await probeOnce(baseUrl, name, options.timeoutMs);
  return result;
}

async function probeOnce<N extends ProbeName>(
  baseUrl: string,
  name: N,
  timeoutMs = 2_000,
): Promise<ProbeResult<ProbeBody<N>>> {
  const spec = PROBES[name];
  const target = new URL(spec.path, baseUrl);
  const url = target.href;
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  let response: HttpAnswer;
  try {
    response = await httpGet(target, timeoutMs);
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      status: null,
      latencyMs: elapsed(),
      failure: timedOut ? "timeout" : "unreachable",
      message: timedOut
        ? `no answer from ${url} within ${timeoutMs}ms`
        : `cannot reach ${url}: ${code ?? errorMessage(error)}`,
    };
  }
  const text = response.text;
  const parsed = (spec.statuses as readonly number[]).includes(response.status)
    ? spec.schema.safeParse(parseJson(text))
    : null;
  if (!parsed?.success) {
    const type = response.contentType ?? "no content type";
    return {
      ok: false,
      status: response.status,
      latencyMs: elapsed(),
      failure: "not-openclaw",
      message: `${url} answered HTTP ${response.status} (${type}) but not as an OpenClaw gateway`,
    };
  }
  return {
    ok: true,
    status: response.status,
    latencyMs: elapsed(),
    body: parsed.data as ProbeBody<N>,
  };
}

export interface GatewayHttpReport {
  baseUrl: string;
  /** True when at least one probe answered as OpenClaw. */
  isOpenClaw: boolean;
  live: boolean;
  started: boolean;
  ready: boolean;
  version: string | null;
  uptimeMs: number | null;
  failing: string[];
  eventLoop: Readyz["eventLoop"] | null;
  probes: {
    healthz: ProbeResult<Healthz>;
    startupz: ProbeResult<Startupz>;
    readyz: ProbeResult<Readyz>;
  };
}

/** Runs the three probes in parallel and sums them up. */
export async function probeGatewayHttp(
  baseUrl: string,
  options: { timeoutMs?: number } = {},
): Promise<GatewayHttpReport> {
  const [healthz, startupz, readyz] = await Promise.all([
    probe(baseUrl, "healthz", options),
    probe(baseUrl, "startupz", options),
    probe(baseUrl, "readyz", options),
  ]);
  return {
    baseUrl,
    isOpenClaw: healthz.ok || startupz.ok || readyz.ok,
    live: healthz.ok && healthz.status === 200 && healthz.body.ok,
    started: startupz.ok && startupz.body.status === "started",
    ready: readyz.ok && readyz.body.ready,
    version: startupz.ok ? (startupz.body.version ?? null) : null,
    uptimeMs: startupz.ok
      ? (startupz.body.uptimeMs ?? null)
      : readyz.ok
        ? (readyz.body.uptimeMs ?? null)
        : null,
    failing: readyz.ok ? readyz.body.failing : [],
    eventLoop: readyz.ok ? (readyz.body.eventLoop ?? null) : null,
    probes: { healthz, startupz, readyz },
  };
}

/** Largest probe answer read; more is not a probe answer. */
const MAX_BODY = 1024 * 1024;

/** One GET: plain http on a bare socket (see plainHttpGet), https through node:https. */
function httpGet(url: URL, timeoutMs: number): Promise<HttpAnswer> {
  return url.protocol === "https:"
    ? httpsGet(url, timeoutMs)
    : plainHttpGet(url, timeoutMs, MAX_BODY);
}

/**
 * https keeps node:https with `agent: false` (its agent sets up TLS, SNI
 * included, on the socket) and no refusal of "bad ports" as fetch has.
 */
function httpsGet(url: URL, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { agent: false, headers: { accept: "application/json" } },
      (res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY) request.destroy(new Error(`answer larger than ${MAX_BODY} bytes`));
          else chunks.push(chunk);
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers["content-type"] ?? null,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    const timer = setTimeout(() => {
      const error = new Error(`no answer within ${timeoutMs}ms`);
      error.name = "TimeoutError";
      request.destroy(error);
    }, timeoutMs);
    request.on("error", reject);
    request.on("close", () => clearTimeout(timer));
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
