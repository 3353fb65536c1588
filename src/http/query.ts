import { z } from "zod";
import { OpsError, formatIssues } from "../core/errors.js";
import { toIssues } from "../core/validation.js";

/** A request's query string checked against `schema`; VALIDATION naming every problem otherwise. */
export function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return parsed.data;
  const issues = toIssues(parsed.error);
  throw new OpsError("VALIDATION", `invalid query:\n${formatIssues(issues)}`, { issues });
}

/** A boolean query parameter: exactly `true` or `false` (anything else is a VALIDATION error). */
export const queryBoolean = z
  .enum(["true", "false"])
  .transform((value) => value === "true")
  .optional();
