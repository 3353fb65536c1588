import { z } from "zod";
import { OpsError, type OpsErrorCode, isOpsError } from "./errors.js";

/** Why a start failed before a gateway ran, as a kind to switch on; each kind in words. */
export const START_FAILURES = {
  binary_missing: "no openclaw CLI where clawops looks (escalated at once)",
  binary_not_executable: "found, but the system refuses to run it, EACCES (escalated at once)",
  state_dir_unwritable: "the state dir cannot be created or written (escalated at once)",
  config_missing: "the gateway config file does not exist (repair may restore the last good one)",
  config_rejected:
    "the doctor's start gate found errors in the config (repair may restore the last good one)",
  port_held: "another process holds the gateway's port (a `gateway.port_conflict` event names it)",
  spawn_error: "the system could not start the process: EAGAIN, ENOMEM, ... (retried like a crash)",
} as const;
export const START_FAILURE_KINDS = Object.keys(START_FAILURES) as StartFailureKind[];
export type StartFailureKind = keyof typeof START_FAILURES;

export const startFailureSchema = z.strictObject({
  kind: z
    .enum(Object.keys(START_FAILURES) as [StartFailureKind, ...StartFailureKind[]])
    .describe("why, as a kind (docs/events.md)"),
  message: z.string().describe("in words, secrets masked"),
});
export type StartFailure = z.infer<typeof startFailureSchema>;

/**
 * The error for a start that failed before a process ran, naming its kind
 * (the supervisor publishes it in `gateway.state`; repair acts on it).
 */
export function startError(
  kind: StartFailureKind,
  code: OpsErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): OpsError {
  return new OpsError(code, message, { details: { ...details, failure: kind } });
}

/** The kind of a failed start: the one its thrower named, else read from the error's code. */
export function startFailureKind(error: unknown): StartFailureKind {
  if (!isOpsError(error)) return "spawn_error";
  const named = error.details.failure;
  if ((START_FAILURE_KINDS as readonly unknown[]).includes(named)) return named as StartFailureKind;
  switch (error.code) {
    case "NOT_FOUND":
      return "binary_missing";
    case "CONFIG_INVALID":
      return "config_rejected";
    case "PORT_IN_USE":
      return "port_held";
    default:
      return "spawn_error";
  }
}
