import { errorMessage } from "../core/errors.js";
import type { OpenClawFacts } from "./openclaw-facts.js";

/**
 * Which providers have a credential in the eyes of the installed OpenClaw
 * (`openclaw models status --json`): config keys, environment variables and
 * the SQLite credential store alike. Asked only when the config alone cannot
 * settle it, since it costs ~2 s.
 */
export interface CredentialInventory {
  /** Provider id -> where its credential comes from (`env`, `profiles`, `models.json`). */
  providers: ReadonlyMap<string, string>;
  /** Why OpenClaw could not be asked; then `providers` is empty and nothing is confirmed. */
  unavailable: string | null;
}

export async function inventoryCredentials(input: {
  env: NodeJS.ProcessEnv;
  openclaw: OpenClawFacts | null;
}): Promise<CredentialInventory> {
  if (!input.openclaw) {
    return { providers: new Map(), unavailable: "the openclaw CLI was not found" };
  }
  try {
    const status = await input.openclaw.cli.modelsStatus({ env: input.env, timeoutMs: 30_000 });
    return {
      providers: new Map(
        status.auth.providers.map((p) => [p.provider, p.effective?.kind ?? "unknown"]),
      ),
      unavailable: null,
    };
  } catch (error) {
    return { providers: new Map(), unavailable: errorMessage(error) };
  }
}
