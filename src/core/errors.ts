/**
 * The one error class of clawops. Every boundary (HTTP, WebSocket, CLI) maps an
 * `OpsError` by its `code`; anything else that escapes is an internal error.
 */
export type OpsErrorCode =
  | "CONFIG_INVALID"
  | "USAGE"
  | "NOT_FOUND"
  | "CONFLICT"
  | "VALIDATION"
  | "STORE_UNREACHABLE"
  | "ALREADY_RUNNING"
  | "PORT_IN_USE"
  | "DAEMON_NOT_RUNNING"
  | "UNAVAILABLE"
  | "TIMEOUT"
  | "NOT_OPENCLAW"
  | "GATEWAY_AUTH_REJECTED"
  | "GATEWAY_PROTOCOL_MISMATCH"
  | "GATEWAY_PAIRING_REQUIRED"
  | "GATEWAY_ERROR"
  | "GATEWAY_CLOSED"
  | "GATEWAY_BAD_RESPONSE"
  | "PAYLOAD_TOO_LARGE"
  | "FORBIDDEN"
  /** No credentials, or credentials that are not (or no longer) valid. */
  | "UNAUTHORIZED"
  /** Too many attempts (logins, writes): the error's details say when to retry (retryAfterMs). */
  | "RATE_LIMITED"
  /** A bot paused by its spending budget (or its owner's): new chats through clawops are refused. */
  | "BUDGET_EXCEEDED"
  /** A planned restart whose new config fails the doctor: the running gateway was kept. */
  | "RESTART_REFUSED"
  /** HTTP requests malformed before they reach a route (bad URL, bad framing, bad body). */
  | "BAD_REQUEST"
  | "REQUEST_TIMEOUT"
  | "URI_TOO_LONG"
  | "HEADERS_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "EXPECTATION_FAILED"
  /** A `Host` that is not one of the daemon's names (DNS rebinding). */
  | "HOST_NOT_ALLOWED"
  /** A vault key that is configured but cannot be read (variable unset, file absent). */
  | "VAULT_KEY_MISSING"
  /** A vault key that is not base64 of 32 bytes, or a key file others can read. */
  | "VAULT_KEY_INVALID"
  /** A vault record sealed under a key id that is not configured. */
  | "VAULT_KEY_UNKNOWN"
  /** The key configured under a record's key id is not the key that sealed it. */
  | "VAULT_KEY_WRONG"
  /** A vault record that fails authentication: changed, truncated or moved from another name. */
  | "VAULT_TAMPERED"
  | "INTERNAL";

/** A problem found while validating input: where it is, what is wrong, and how bad. */
export interface Issue {
  path: string;
  message: string;
  severity: "error" | "warning";
  fix?: string;
}

export interface OpsErrorOptions {
  retryable?: boolean;
  details?: Record<string, unknown>;
  issues?: Issue[];
  cause?: unknown;
}

export class OpsError extends Error {
  readonly code: OpsErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  readonly issues: Issue[];

  constructor(code: OpsErrorCode, message: string, options: OpsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OpsError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
    this.issues = options.issues ?? [];
  }
}

export function isOpsError(value: unknown): value is OpsError {
  return value instanceof OpsError;
}

/** Formats issues one per line as `path: message`, the way every boundary shows them. */
export function formatIssues(issues: readonly Issue[]): string {
  return issues
    .map((i) => `${i.severity === "warning" ? "warning: " : ""}${i.path || "<root>"}: ${i.message}`)
    .join("\n");
}

/** The message of anything thrown, without a stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
