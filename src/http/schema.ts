import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifySchemaCompiler,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import type { FastifySerializerCompiler } from "fastify/types/schema.js";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { OpsError, formatIssues } from "../core/errors.js";
import { toIssues } from "../core/validation.js";

/** The Fastify instance routes are declared on: request and answer types come from their zod schemas. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** How a validation message names each part of a request ("invalid query: ..."). */
const PART_NAMES: Record<string, string> = {
  querystring: "query",
  params: "path parameters",
  body: "body",
  headers: "headers",
};

/**
 * Fastify's validator for zod schemas: the parsed value (coerced, defaults
 * filled, transformed) replaces the request's part; a failure is a
 * VALIDATION `OpsError` whose message names every bad field, so it answers
 * 400 in the documented envelope (src/http/errors.ts) like every other error.
 * The message says `invalid <subject>:` where the subject is the schema's
 * `title` metadata (`bot`) or the part (`query`), one `path: message` a line.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const subject = schema.meta()?.title ?? PART_NAMES[httpPart ?? ""] ?? "request";
  return (data) => {
    // Fastify hands an absent query as undefined on some paths; today's answer treats it as {}.
    const parsed = schema.safeParse(httpPart === "querystring" ? (data ?? {}) : data);
    if (parsed.success) return { value: parsed.data };
    const issues = toIssues(parsed.error);
    return {
      error: new OpsError("VALIDATION", `invalid ${subject}:\n${formatIssues(issues)}`, {
        issues,
      }),
    };
  };
};

/**
 * Answers are written as the handler returned them (`JSON.stringify`, what
 * Fastify does for a route without a response schema): the response schemas
 * document the answers and type the handlers at compile time, and never
 * reorder, drop or reject a field the CLI and scripts read.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = () => (data) =>
  JSON.stringify(data);

/** One problem in a request or a config: where, what, how bad (src/core/errors.ts `Issue`). */
export const issueSchema = z.object({
  path: z.string(),
  message: z.string(),
  severity: z.enum(["error", "warning"]),
  fix: z.string().optional(),
});

/** The error envelope of every non-2xx answer (src/http/errors.ts `errorBody`). */
export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "clawops's error code: VALIDATION, NOT_FOUND, ..." }),
      message: z.string(),
      retryable: z.boolean().optional(),
      issues: z.array(issueSchema).optional(),
      details: z.record(z.string(), z.unknown()).optional(),
      requestId: z.string().meta({ description: "also in the X-Request-Id header and the logs" }),
    }),
  })
  .meta({ id: "ErrorEnvelope" });

const errorResponses = {
  400: errorEnvelopeSchema,
  404: errorEnvelopeSchema,
  500: errorEnvelopeSchema,
  503: errorEnvelopeSchema,
} as const;

/**
 * A route's `response` map: its 2xx answers plus the error envelope for the
 * statuses every API route can answer (400 invalid request, 404 unknown bot,
 * 500, 503 store unreachable). A route that answers other errors lists them
 * in `extra`.
 */
export function withErrors<R extends Record<number, z.ZodType>>(ok: R, ...extra: number[]) {
  const more = Object.fromEntries(extra.map((status) => [status, errorEnvelopeSchema]));
  return { ...errorResponses, ...more, ...ok } as typeof errorResponses & R;
}

/** A boolean query parameter: exactly `true` or `false` (anything else is a VALIDATION error). */
export const queryBoolean = z
  .enum(["true", "false"])
  .transform((value) => value === "true")
  .optional();

/** The `:name` of `/api/v1/bots/:name/...`: any string; an unknown name answers 404. */
export const botParams = z.object({ name: z.string() });
