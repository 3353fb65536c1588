import type { ClawopsConfig } from "../config/schema.js";
import { localCredentialPath, readLocalCredential } from "../access/local-credential.js";
import { opsErrorOf } from "../core/error-envelope.js";
import { OpsError, errorMessage } from "../core/errors.js";
import { type TlsTrust, apiBaseUrl, clientTrust } from "../http/tls.js";
import { fetchTls } from "./fetch-tls.js";

/** Connection errors that mean nothing listens there (not a TLS problem). */
const CONNECT_FAILURES = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EADDRNOTAVAIL",
]);

/** Where the running daemon answers, and the local credential the CLI sends it. */
export interface DaemonEndpoint {
  /** `http://host:port`, or `https://host:port` with `http.tls`. */
  base: string;
  /** With `http.tls`: the CAs trusted and the certificate the daemon must present. */
  tls?: TlsTrust;
  /** The token in `<dataDir>/cli-credential`; null when there is none to read. */
  credential: string | null;
  /** Where it was read from (named when the daemon refuses it). */
  credentialFile?: string;
}

/** The running daemon's endpoint, from clawops.yaml. */
export function daemonEndpoint(config: ClawopsConfig): DaemonEndpoint {
  const tls = clientTrust(config.http);
  return {
    base: apiBaseUrl(config.http),
    ...(tls ? { tls } : {}),
    credential: readLocalCredential(config.dataDir),
    credentialFile: localCredentialPath(config.dataDir),
  };
}

/**
 * Calls the daemon's API. Nothing answering is `DAEMON_NOT_RUNNING`, said
 * plainly; an API error comes back as the `OpsError` the daemon reported,
 * with its `issues`, `retryable` and `details`.
 */
export async function callDaemon<T>(
  endpoint: DaemonEndpoint,
  path: string,
  options: {
    method?: "GET" | "POST" | "PATCH" | "DELETE";
    timeoutMs?: number;
    /** Sent as JSON. */
    body?: unknown;
  } = {},
): Promise<T> {
  const url = `${endpoint.base}${path}`;
  const headers: Record<string, string> = { "x-clawops-client": "cli" };
  if (endpoint.credential) headers.authorization = `Bearer ${endpoint.credential}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let response: { ok: boolean; status: number; json(): Promise<unknown> };
  try {
    const init = {
      method: options.method ?? "GET",
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    };
    response = endpoint.tls ? await fetchTls(url, init, endpoint.tls) : await fetch(url, init);
  } catch (error) {
    const { name } = error as Error;
    if (name === "TimeoutError" || name === "AbortError") {
      throw new OpsError(
        "TIMEOUT",
        `the daemon did not answer ${url} within ${options.timeoutMs ?? 5_000}ms`,
      );
    }
    const code =
      (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
    if (endpoint.tls && !CONNECT_FAILURES.has(code ?? "")) {
      throw new OpsError(
        "UNAVAILABLE",
        `cannot talk to the daemon at ${new URL(url).origin} over TLS: ${errorMessage(error)} (http.tls in clawops.yaml: the CLI trusts the system's CAs, http.tls.ca and the certificate itself, and expects the certificate of http.tls.cert)`,
      );
    }
    throw new OpsError(
      "DAEMON_NOT_RUNNING",
      `the daemon is not running: nothing answers at ${new URL(url).origin} (${code ?? errorMessage(error)}); start it with "clawops up"`,
    );
  }
  const body: unknown = await response.json().catch(() => null);
  if (response.ok) return body as T;
  const failure = opsErrorOf(body, (message, code) => {
    if (code !== "UNAUTHORIZED" || !endpoint.credentialFile) return message;
    return endpoint.credential
      ? `${message}; the CLI sent the credential in ${endpoint.credentialFile}: is the daemon at ${endpoint.base} the one of this clawops.yaml, running as this user?`
      : `${message}; the CLI found no credential in ${endpoint.credentialFile}: run it as the daemon's user, with the daemon's clawops.yaml`;
  });
  if (failure) throw failure;
  // A non-error answer with a failing status (/readyz's 503) is the caller's to read.
  if (body !== null && typeof body === "object" && !("error" in body)) return body as T;
  throw new OpsError("UNAVAILABLE", `daemon answered ${response.status}`);
}
