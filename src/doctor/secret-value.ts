import { envReference, resolveSecretInput } from "../gateway/openclaw-config.js";

/**
 * How a secret is written in an OpenClaw config: in plain text, as a
 * `${VAR}` reference, as a secret ref object (`{source, provider, id}`), or as
 * an auth-profile reference (`openai:default`) into the credential store.
 */
export type SecretValue =
  | { kind: "absent" }
  | { kind: "literal"; value: string }
  | { kind: "env"; variable: string; value: string | null }
  | { kind: "ref"; source: string; id: string; value: string | null }
  | { kind: "profile"; profile: string };

const PROFILE_REFERENCE = /^[a-z0-9][a-z0-9._-]*:[A-Za-z0-9._-]+$/;

/**
 * Reads a secret field. `env` resolves `${VAR}` and env refs, `config` file
 * refs, the way the gateway will; exec and store refs are not resolved here (value null).
 * `allowProfile` is for provider `apiKey` fields, where `provider:name` names a profile.
 */
export function readSecret(
  raw: unknown,
  env: NodeJS.ProcessEnv,
  options: { allowProfile?: boolean; config?: Record<string, unknown> } = {},
): SecretValue {
  if (raw === undefined || raw === null || raw === "") return { kind: "absent" };
  if (typeof raw === "string") {
    const variable = envReference(raw);
    if (variable) return { kind: "env", variable, value: env[variable] || null };
    if (options.allowProfile && PROFILE_REFERENCE.test(raw))
      return { kind: "profile", profile: raw };
    return { kind: "literal", value: raw };
  }
  if (typeof raw === "object" && !Array.isArray(raw)) {
    const { source, id } = raw as { source?: unknown; id?: unknown };
    if (typeof source === "string" && typeof id === "string") {
      return { kind: "ref", source, id, value: resolveSecretInput(raw, options.config ?? {}, env) };
    }
  }
  return { kind: "absent" };
}

/** Field names that hold secrets in OpenClaw configs (channels, providers, gateway). */
export const SECRET_KEY = /(api_?key|token|password|secret|private_?key|credentials?)$/i;

/** A secret's shape for evidence: never the value, only its length. */
export function secretEvidence(secret: SecretValue): Record<string, unknown> {
  switch (secret.kind) {
    case "literal":
      return { written: "plain text", length: secret.value.length };
    case "env":
      return { written: `\${${secret.variable}}`, set: secret.value !== null };
    case "ref":
      return { written: `${secret.source} ref ${secret.id}` };
    case "profile":
      return { written: `profile ${secret.profile}` };
    case "absent":
      return { written: "nothing" };
  }
}
