import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { type OpsErrorCode, isOpsError } from "../core/errors.js";

const STATUS: Record<OpsErrorCode, number> = {
  CONFIG_INVALID: 400,
  USAGE: 400,
  VALIDATION: 400,
  NOT_FOUND: 404,
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
  FORBIDDEN: 403,
  INTERNAL: 500,
};

/** The HTTP mapping of errors: `{error: {code, message, issues?, details?, requestId}}`. */
export function handleHttpError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (isOpsError(error)) {
    const status = STATUS[error.code];
    if (status >= 500)
      request.log.error({ err: error.message, code: error.code }, "request.failed");
    return reply.status(status).send({
      error: {
        code: error.code,
        message: error.message,
        retryable: error.retryable,
        ...(error.issues.length > 0 ? { issues: error.issues } : {}),
        ...(Object.keys(error.details).length > 0 ? { details: error.details } : {}),
        requestId: request.id,
      },
    });
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.statusCode && fastifyError.statusCode < 500) {
    return reply.status(fastifyError.statusCode).send({
      error: {
        code: fastifyError.code ?? "BAD_REQUEST",
        message: error.message,
        requestId: request.id,
      },
    });
  }
  request.log.error({ err: error }, "request.crashed");
  return reply.status(500).send({
    error: { code: "INTERNAL", message: "internal error", requestId: request.id },
  });
}
