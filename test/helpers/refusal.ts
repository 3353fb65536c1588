import { expect } from "vitest";
import { OpsError } from "../../src/core/errors.js";

/**
 * The `OpsError` that `work` throws, checked to carry none of `secrets` in
 * its message, details or stack: a refusal names what is wrong, never a value
 * or a key.
 */
export function refusal(work: () => unknown, secrets: readonly string[] = []): OpsError {
  try {
    work();
  } catch (error) {
    return checked(error, secrets);
  }
  return checked(null, secrets);
}

/** `refusal` for a promise. */
export async function rejection(
  promise: Promise<unknown>,
  secrets: readonly string[] = [],
): Promise<OpsError> {
  return checked(
    await promise.then(
      () => null,
      (e: unknown) => e,
    ),
    secrets,
  );
}

function checked(error: unknown, secrets: readonly string[]): OpsError {
  expect(error).toBeInstanceOf(OpsError);
  const e = error as OpsError;
  const text = `${e.message} ${JSON.stringify(e.details)} ${String(e.stack)}`;
  for (const secret of secrets) expect(text).not.toContain(secret);
  return e;
}
