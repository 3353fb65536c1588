import { z } from "zod";
import { OpsError, type OpsErrorCode } from "./errors.js";

/**
 * The daemon's error envelope (src/http/errors.ts) as its clients read it:
 * the CLI, and a daemon relaying a chat command to another host's.
 * Forgiving: an unknown field (`requestId`) or a malformed optional one is no
 * reason to lose the code and message.
 */
const errorEnvelope = z.object({
  error: z.object({
    code: z.string().min(1),
    message: z.string(),
    retryable: z.boolean().optional().catch(undefined),
    issues: z
      .array(
        z.object({
          path: z.string(),
          message: z.string(),
          severity: z.enum(["error", "warning"]),
          fix: z.string().optional(),
        }),
      )
      .optional()
      .catch(undefined),
    details: z.record(z.string(), z.unknown()).optional().catch(undefined),
  }),
});

/**
 * The `OpsError` an answer's body carries, its message passed through
 * `explain`; null when the body is not an error envelope. The daemon only
 * sends its own codes: they are taken as they are.
 */
export function opsErrorOf(
  body: unknown,
  explain: (message: string, code: string) => string = (message) => message,
): OpsError | null {
  const envelope = errorEnvelope.safeParse(body);
  if (!envelope.success) return null;
  const { code, message, retryable, issues, details } = envelope.data.error;
  return new OpsError(code as OpsErrorCode, explain(message, code), {
    retryable: retryable ?? false,
    issues: issues ?? [],
    details: details ?? {},
  });
}
