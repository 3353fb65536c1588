import type { Finding } from "../../core/finding.js";
import { type DoctorRule, asRecord, configFinding } from "../rule.js";
import { readSecret, secretEvidence } from "../secret-value.js";
import { authMode } from "./bind-safety.js";

/** OpenClaw's onboarding writes 48 hex characters; its security audit warns below 24. */
const MIN_TOKEN_LENGTH = 24;
const MIN_PASSWORD_LENGTH = 16;
/** Values OpenClaw 2026.9 refuses at boot: blank-ish words and the placeholders of its docs. */
const REFUSED = new Set([
  "undefined",
  "null",
  "change-me-now",
  "change-me-to-a-long-random-token",
  "change-me-to-a-strong-password",
]);

/**
 * The gateway's shared secret: present, resolvable from the environment the
 * gateway gets, and long and varied enough. Every operator client holds it.
 */
export const gatewayToken: DoctorRule = {
  id: "gateway-token",
  description: "the gateway token or password is set, resolvable and strong",
  speed: "fast",
  scope: "config",
  check(context) {
    const auth = asRecord(asRecord(context.config.gateway)?.auth) ?? {};
    const mode = authMode(auth);
    if (mode !== "token" && mode !== "password") return [];
    const field = mode;
    const path = ["gateway", "auth", field];
    const secret = readSecret(auth[field], context.env, { config: context.config });
    const generate =
      mode === "token"
        ? 'generate one with `openssl rand -hex 24`, export it as OPENCLAW_GATEWAY_TOKEN in the gateway\'s environment and write "${OPENCLAW_GATEWAY_TOKEN}"'
        : "choose a long random password and keep it in the environment";
    const findings: Finding[] = [];
    if (secret.kind === "absent") {
      findings.push(
        configFinding(context, path, {
          id: `gateway-token/missing`,
          severity: "error",
          message: `gateway.auth.mode is "${mode}" but gateway.auth.${field} is not set: no client can connect`,
          fix: { kind: "manual", summary: generate },
        }),
      );
      return findings;
    }
    const checkable =
      secret.kind === "env" ||
      (secret.kind === "ref" && (secret.source === "env" || secret.source === "file"));
    if (checkable && secret.value === null) {
      const variable = secret.kind === "env" ? secret.variable : secret.id;
      const fromFile = secret.kind === "ref" && secret.source === "file";
      findings.push(
        configFinding(context, path, {
          id: `gateway-token/unresolved`,
          severity: "error",
          message: fromFile
            ? `gateway.auth.${field} comes from a file (its secrets provider in secrets.providers) that cannot be read: clients cannot authenticate`
            : `gateway.auth.${field} comes from the environment variable ${variable}, which is not set for the gateway`,
          evidence: secretEvidence(secret),
          fix: {
            kind: "manual",
            summary: fromFile
              ? "create the file the secrets provider names (mode 600, owned by the gateway's user)"
              : `set ${variable} in the gateway's environment (systemd Environment=, or the shell that runs clawops)`,
          },
        }),
      );
      return findings;
    }
    const value =
      secret.kind === "literal"
        ? secret.value
        : secret.kind === "env" || secret.kind === "ref"
          ? secret.value
          : null;
    if (value === null) return findings;
    if (REFUSED.has(value.trim().toLowerCase())) {
      findings.push(
        configFinding(context, path, {
          id: "gateway-token/placeholder",
          severity: "error",
          message: `gateway.auth.${field} is a placeholder from the docs: OpenClaw refuses to start with it`,
          evidence: secretEvidence(secret),
          fix: { kind: "manual", summary: generate },
        }),
      );
      return findings;
    }
    const minimum = mode === "token" ? MIN_TOKEN_LENGTH : MIN_PASSWORD_LENGTH;
    const weakness =
      value.length < minimum
        ? `${value.length} characters (at least ${minimum} expected)`
        : new Set(value).size < 8
          ? `only ${new Set(value).size} distinct characters`
          : null;
    if (weakness) {
      findings.push(
        configFinding(context, path, {
          id: `gateway-token/weak`,
          severity: "warning",
          message: `gateway.auth.${field} is weak: ${weakness}`,
          evidence: secretEvidence(secret),
          fix: { kind: "manual", summary: generate },
        }),
      );
    }
    return findings;
  },
};
