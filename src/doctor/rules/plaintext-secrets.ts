import type { Finding, JsonPath } from "../../core/finding.js";
import { formatJsonPath } from "../config-document.js";
import { type DoctorRule, asRecord, configFinding } from "../rule.js";
import { SECRET_KEY, readSecret, secretEvidence } from "../secret-value.js";
import { isLoopbackUrl } from "./provider-credentials.js";

/**
 * Secrets written in plain text in openclaw.json: anyone who can read the
 * file, a backup of it or a diff of it has them. An environment reference or
 * OpenClaw's credential store keeps them out of the file.
 */
export const plaintextSecrets: DoctorRule = {
  id: "plaintext-secrets",
  description:
    "secrets are referenced from the environment or the credential store, not written in the config",
  speed: "fast",
  scope: "config",
  check(context) {
    const findings: Finding[] = [];
    walk(context.config, [], (path, value) => {
      const key = path.at(-1);
      if (typeof key !== "string" || !SECRET_KEY.test(key)) return;
      // Root `providers` is the legacy-keys rule's: its fix moves these under models.providers.
      if (path[0] === "providers") return;
      const secret = readSecret(value, context.env, { allowProfile: key === "apiKey" });
      if (secret.kind !== "literal") return;
      const provider = providerOf(path);
      // A loopback model server takes any key: the value is a marker, not a secret.
      if (
        provider &&
        isLoopbackUrl(
          asRecord(asRecord(asRecord(context.config.models)?.providers)?.[provider])?.baseUrl,
        )
      )
        return;
      const variable = formatJsonPath(path)
        .replace(/[^A-Za-z0-9]+/g, "_")
        .replace(/([a-z])([A-Z])/g, "$1_$2")
        .toUpperCase();
      findings.push(
        configFinding(context, path, {
          id: "plaintext-secrets",
          severity: "warning",
          message: `${formatJsonPath(path)} holds a secret in plain text`,
          evidence: secretEvidence(secret),
          fix: {
            kind: "manual",
            summary: provider
              ? `move it to OpenClaw's credential store: \`openclaw models auth paste-api-key --provider ${provider}\` reads it from stdin and replaces the value with a profile reference`
              : `put it in the gateway's environment as ${variable} and write "\${${variable}}" here`,
          },
        }),
      );
    });
    return findings;
  },
};

/** `models.providers.<id>.apiKey` -> the provider id. */
function providerOf(path: JsonPath): string | null {
  return path[0] === "models" &&
    path[1] === "providers" &&
    typeof path[2] === "string" &&
    path.length === 4
    ? path[2]
    : null;
}

function walk(value: unknown, path: JsonPath, visit: (path: JsonPath, value: unknown) => void) {
  visit(path, value);
  if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i], visit));
  else if (value && typeof value === "object")
    for (const [key, child] of Object.entries(value)) walk(child, [...path, key], visit);
}
