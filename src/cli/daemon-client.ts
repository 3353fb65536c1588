import type { ClawopsConfig } from "../config/schema.js";
import { OpsError, type OpsErrorCode, errorMessage } from "../core/errors.js";

/** The running daemon's base URL, from clawops.yaml. */
export function daemonUrl(config: ClawopsConfig): string {
  return `http://${config.http.host}:${config.http.port}`;
}

/**
 * Calls the daemon's API. Nothing answering is `DAEMON_NOT_RUNNING`, said
 * plainly; an API error comes back as the `OpsError` the daemon reported.
 */
export async function callDaemon<T>(
  url: string,
  options: { method?: "GET" | "POST"; timeoutMs?: number } = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? "GET",
      headers: { "x-clawops-client": "cli" },
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
  } catch (error) {
    if ((error as Error).name === "TimeoutError") {
      throw new OpsError(
        "TIMEOUT",
        `the daemon did not answer ${url} within ${options.timeoutMs ?? 5_000}ms`,
      );
    }
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? errorMessage(error);
    throw new OpsError(
      "DAEMON_NOT_RUNNING",
      `the daemon is not running: nothing answers at ${new URL(url).origin} (${cause}); start it with "clawops up"`,
    );
  }
  const body = (await response.json().catch(() => null)) as {
    error?: { code?: OpsErrorCode; message?: string; details?: Record<string, unknown> };
  } | null;
  if (!response.ok && (!body || body.error)) {
    const { code, message, details } = body?.error ?? {};
    throw new OpsError(code ?? "UNAVAILABLE", message ?? `daemon answered ${response.status}`, {
      details: details ?? {},
    });
  }
  return body as T;
}
