import { asStoreError } from "../store/errors.js";
import { randomUUID } from "node:crypto";
import { STATUS_CODES, maxHeaderSize } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { type OpsErrorCode, isOpsError } from "../core/errors.js";

const STATUS: Record<OpsErrorCode, number> = {
  CONFIG_INVALID: 400,
  USAGE: 400,
  VALIDATION: 400,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  ALREADY_RUNNING: 409,
  PORT_IN_USE: 409,
  STORE_UNREACHABLE: 503,
  UNAVAILABLE: 503,
  DAEMON_NOT_RUNNING: 503,
  TIMEOUT: 504,
  NOT_OPENCLAW: 502,
  GATEWAY_AUTH_REJECTED: 502,
  GATEWAY_PROTOCOL_MISMATCH: 502,
  GATEWAY_PAIRING_REQUIRED: 502,
  GATEWAY_ERROR: 502,
  GATEWAY_CLOSED: 503,
  GATEWAY_BAD_RESPONSE: 502,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  EXPECTATION_FAILED: 417,
  HOST_NOT_ALLOWED: 421,
  HEADERS_TOO_LARGE: 431,
  FORBIDDEN: 403,
  UNAUTHORIZED: 401,
  RATE_LIMITED: 429,
  RESTART_REFUSED: 409,
  // A spent quota, as LLM APIs answer it; the error's details say when it lifts (resumesAt).
  BUDGET_EXCEEDED: 429,
  // The daemon's own key configuration: nothing the client can change.
  VAULT_KEY_MISSING: 503,
  VAULT_KEY_INVALID: 503,
  VAULT_KEY_UNKNOWN: 503,
  VAULT_KEY_WRONG: 503,
  VAULT_TAMPERED: 500,
  INTERNAL: 500,
};

/** Fastify's own errors (body parsing, routing) by status: clawops's code for each. */
const CODE_OF_STATUS: Record<number, OpsErrorCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  408: "REQUEST_TIMEOUT",
  413: "PAYLOAD_TOO_LARGE",
  414: "URI_TOO_LONG",
  415: "UNSUPPORTED_MEDIA_TYPE",
  417: "EXPECTATION_FAILED",
  431: "HEADERS_TOO_LARGE",
};

/** Messages of Fastify errors that would echo a whole path back (up to the header limit). */
const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: "the URL is not valid: a path segment has malformed percent-encoding",
  FST_ERR_MAX_PARAM_LENGTH: "the URL is too long: a path segment is over 100 characters",
};

export interface ErrorBody {
  error: {
    code: OpsErrorCode;
    message: string;
    retryable?: boolean;
    issues?: unknown[];
    details?: Record<string, unknown>;
    requestId: string;
  };
}

/** The documented envelope: `{error: {code, message, issues?, details?, requestId}}`. */
export function errorBody(
  code: OpsErrorCode,
  message: string,
  requestId: string,
  extra: Partial<ErrorBody["error"]> = {},
): ErrorBody {
  return { error: { code, message, ...extra, requestId } };
}

/** The HTTP mapping of errors, for routes and for Fastify's `frameworkErrors` (before routing). */
export function handleHttpError(
  raw: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  void reply.header("x-request-id", request.id);
  // A full disk under the store is a 503 that says so, not an internal error.
  const error = asStoreError(raw) as FastifyError | Error;
  if (isOpsError(error)) {
    const status = STATUS[error.code];
    if (status >= 500)
      request.log.error({ err: error.message, code: error.code }, "request.failed");
    const retryAfterMs = error.details.retryAfterMs;
    if (status === 429 && typeof retryAfterMs === "number")
      void reply.header("retry-after", String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    if (status === 401) void reply.header("www-authenticate", 'Bearer realm="clawops"');
    return reply.status(status).send(
      errorBody(error.code, error.message, request.id, {
        retryable: error.retryable,
        ...(error.issues.length > 0 ? { issues: error.issues } : {}),
        ...(Object.keys(error.details).length > 0 ? { details: error.details } : {}),
      }),
    );
  }
  const fastifyError = error as FastifyError;
  const status = fastifyError.statusCode;
  if (status && status < 500) {
    const code =
      fastifyError.code === "FST_ERR_VALIDATION"
        ? "VALIDATION"
        : (CODE_OF_STATUS[status] ?? "BAD_REQUEST");
    const message = FRAMEWORK_MESSAGES[fastifyError.code] ?? error.message;
    return reply.status(status).send(errorBody(code, message, request.id));
  }
  request.log.error({ err: error }, "request.crashed");
  return reply.status(500).send(errorBody("INTERNAL", "internal error", request.id));
}

/**
 * Node's `clientError`: a request its HTTP parser refused (headers over the
 * limit, a request line over it, bad framing, a request that took too long)
 * never reaches Fastify. The answer is written on the socket, in the same
 * envelope as every other error, then the connection is closed.
 */
export function createClientErrorHandler(log: Logger) {
  return (error: ClientError, socket: Duplex) => {
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    const { code, message } = describeClientError(error);
    const status = STATUS[code];
    const requestId = randomUUID();
    const body = JSON.stringify(errorBody(code, message, requestId));
    log.debug({ reqId: requestId, code, parserCode: error.code }, "request.rejected");
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
          "Content-Type: application/json; charset=utf-8\r\n" +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          `X-Request-Id: ${requestId}\r\n` +
          "Connection: close\r\n\r\n" +
          body,
      );
    }
    socket.destroy();
  };
}

/** What Node's parser hands `clientError` (`rawPacket`: the bytes it was parsing). */
type ClientError = Error & { code?: string; rawPacket?: unknown };

function describeClientError(error: ClientError): {
  code: OpsErrorCode;
  message: string;
} {
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT")
    return { code: "REQUEST_TIMEOUT", message: "the request was not received in time" };
  if (error.code === "HPE_HEADER_OVERFLOW") {
    // Node counts the request line in the header limit: a line that does not end within
    // it is a URI that is too long, not too many headers.
    const raw = error.rawPacket;
    const lineEnd = Buffer.isBuffer(raw) ? raw.indexOf("\r\n") : 0;
    return lineEnd < 0 || lineEnd >= maxHeaderSize
      ? { code: "URI_TOO_LONG", message: `the URL is too long (over ${maxHeaderSize} bytes)` }
      : {
          code: "HEADERS_TOO_LARGE",
          message: `the request headers are too large (over ${maxHeaderSize} bytes in all)`,
        };
  }
  return {
    code: "BAD_REQUEST",
    message: `malformed HTTP request (${error.code ?? "parse error"})`,
  };
}
