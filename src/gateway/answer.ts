import type { z } from "zod";
import { OpsError } from "../core/errors.js";
import { formatPath } from "../core/validation.js";

/**
 * `value` read with `schema`, or `GATEWAY_BAD_RESPONSE` naming who answered
 * and the first place the answer differs from what clawops expects. Used for
 * every answer an OpenClaw interface gives (a WS method, a CLI command's JSON),
 * so that a gateway that changed shape is reported the same way everywhere.
 *
 * @param source who answered, as the message starts: `health`, `openclaw sessions`
 * @param root what to call the whole value when the difference is at its top
 * @param details merged into the error's details, beside `path`
 */
export function parseAnswer<S extends z.ZodType>(
  schema: S,
  value: unknown,
  source: string,
  root: string,
  details: Record<string, unknown> = {},
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0]!;
  const at = formatPath(first.path);
  throw new OpsError(
    "GATEWAY_BAD_RESPONSE",
    `${source} answered an unexpected shape: at ${at || root}: ${first.message}`,
    { details: { ...details, path: at } },
  );
}
