import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import type { Finding } from "../../core/finding.js";
import { type ModelRef, collectModelRefs, providerEnvVars } from "../model-refs.js";
import { type DoctorContext, type DoctorRule, asRecord, configFinding } from "../rule.js";
import { readSecret } from "../secret-value.js";

/**
 * Every model the config names needs a credential for its provider, or the
 * first chat fails with "No API key found for provider". Settled from the
 * config and the gateway's environment when possible; otherwise the
 * installed OpenClaw is asked (`models status`, which sees the credential store).
 */
export const providerCredentials: DoctorRule = {
  id: "provider-credentials",
  description: "every model referenced has a credential for its provider",
  speed: "fast",
  scope: "state",
  async check(context) {
    const refs = collectModelRefs(context.config);
    const findings: Finding[] = refs
      .filter((r) => r.resolvedBy === "default-provider")
      .map((ref) =>
        configFinding(context, ref.path, {
          id: "provider-credentials/bare-model",
          severity: "warning",
          message: `"${ref.ref}" names no provider and matches no alias or configured model: OpenClaw falls back to "${ref.provider}/${ref.model}"`,
          evidence: { ref: ref.ref, resolvedTo: `${ref.provider}/${ref.model}` },
          fix: {
            kind: "manual",
            summary: `write the provider: "<provider>/${ref.model}" (OpenClaw assumes "${ref.provider}/${ref.model}")`,
          },
        }),
      );
    const byProvider = new Map<string, ModelRef[]>();
    for (const ref of refs)
      byProvider.set(ref.provider, [...(byProvider.get(ref.provider) ?? []), ref]);
    for (const [provider, uses] of byProvider) {
      const verdict = settleFromConfig(context, provider);
      if (verdict === "ok") continue;
      if (verdict !== "ask") {
        findings.push(configFinding(context, verdict.path, verdict.finding));
        continue;
      }
      const inventory = await context.credentials();
      if (inventory.providers.has(provider)) continue;
      // Without any store file there is no stored key: no need to have asked OpenClaw.
      const unavailable =
        inventory.unavailable && hasCredentialStore(context.target.stateDir) !== false
          ? inventory.unavailable
          : null;
      findings.push(missingCredential(context, provider, uses, unavailable));
    }
    return findings;
  },
};

type Verdict =
  | "ok"
  | "ask"
  | { path: (string | number)[]; finding: Omit<Finding, "path" | "file" | "line" | "column"> };

/** What the config and the environment alone say about a provider's credential. */
function settleFromConfig(context: DoctorContext, provider: string): Verdict {
  // A key under the legacy root `providers` is the legacy-keys rule's finding (its fix moves it here).
  if (asRecord(asRecord(context.config.providers)?.[provider])?.apiKey) return "ok";
  const entry = asRecord(asRecord(asRecord(context.config.models)?.providers)?.[provider]);
  if (entry && isLoopbackUrl(entry.baseUrl)) return "ok";
  const path = ["models", "providers", provider, "apiKey"];
  const secret = readSecret(entry?.apiKey, context.env, {
    allowProfile: true,
    config: context.config,
  });
  switch (secret.kind) {
    case "literal":
      return "ok";
    case "env":
    case "ref":
      if (secret.value !== null) return "ok";
      // exec and store refs are resolved by OpenClaw only.
      if (secret.kind === "ref" && secret.source !== "env" && secret.source !== "file")
        return "ask";
      return {
        path,
        finding: {
          id: "provider-credentials/unresolved",
          severity: "error",
          message:
            secret.kind === "ref" && secret.source === "file"
              ? `the ${provider} key comes from a file (its secrets provider in secrets.providers) that cannot be read: its models fail at the first chat`
              : `the ${provider} key comes from the environment variable ${secret.kind === "env" ? secret.variable : secret.id}, which is not set for the gateway: its models fail at the first chat`,
          evidence: { provider },
          fix: {
            kind: "manual",
            summary:
              secret.kind === "ref" && secret.source === "file"
                ? "create the file the secrets provider names (mode 600)"
                : envHint(context, secret.kind === "env" ? secret.variable : secret.id),
          },
        },
      };
    case "profile":
      return "ask";
    case "absent":
      break;
  }
  const variables = providerEnvVars(provider);
  const envVars = asRecord(asRecord(context.config.env)?.vars) ?? {};
  if (
    variables.some((v) => context.env[v] || (typeof envVars[v] === "string" && envVars[v] !== ""))
  )
    return "ok";
  return "ask";
}

function missingCredential(
  context: DoctorContext,
  provider: string,
  uses: ModelRef[],
  unavailable: string | null,
): Finding {
  const first = uses[0]!;
  const models = [...new Set(uses.map((u) => `${u.provider}/${u.model}`))];
  const variable = providerEnvVars(provider)[0]!;
  const addKey = `add it: printf '%s\\n' "$${variable}" | openclaw models auth paste-api-key --provider ${provider} (the key on stdin), or set ${variable} for the gateway`;
  if (unavailable) {
    return configFinding(context, first.path, {
      id: "provider-credentials/unconfirmed",
      severity: "warning",
      message: `no credential for provider "${provider}" (used by ${models.join(", ")}) in the config or the gateway's environment, and the credential store could not be asked: ${unavailable.replace(/\s*\n[\s-]*/g, " ").slice(0, 300)}`,
      evidence: { provider, models, paths: uses.map((u) => u.path.join(".")) },
      fix: { kind: "manual", summary: addKey },
    });
  }
  return configFinding(context, first.path, {
    id: "provider-credentials/missing",
    severity: "error",
    message: `no credential for provider "${provider}": ${models.join(", ")} will fail at the first chat ("No API key found for provider")`,
    evidence: {
      provider,
      models,
      paths: uses.map((u) => u.path.join(".")),
      shellHasIt: Boolean(process.env[variable]),
    },
    fix: { kind: "manual", summary: `${addKey}${envHintSuffix(context, variable)}` },
  });
}

/**
 * Whether the state dir has an OpenClaw credential store (the shared
 * `state/openclaw.sqlite` or an agent's `openclaw-agent.sqlite`); null when
 * the state dir is unknown.
 */
function hasCredentialStore(stateDir: string | null): boolean | null {
  if (!stateDir) return null;
  if (existsSync(path.join(stateDir, "state", "openclaw.sqlite"))) return true;
  try {
    return readdirSync(path.join(stateDir, "agents")).some((agent) =>
      existsSync(path.join(stateDir, "agents", agent, "agent", "openclaw-agent.sqlite")),
    );
  } catch {
    return false;
  }
}

function envHint(context: DoctorContext, variable: string): string {
  return `set ${variable} in the gateway's environment${envHintSuffix(context, variable)}`;
}

/** A bot's gateway gets clawops's `supervisor.env`, not the shell's environment: say so when that is the gap. */
function envHintSuffix(context: DoctorContext, variable: string): string {
  if (!context.target.bot || !process.env[variable] || context.env[variable]) return "";
  return ` (${variable} is set in this shell, but clawops passes gateways only supervisor.env from clawops.yaml: add it there)`;
}

/** True for an http(s) URL on a loopback host: OpenClaw trusts those without a key. */
export function isLoopbackUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const host = new URL(value).hostname;
    return host === "localhost" || host === "[::1]" || /^127\./.test(host);
  } catch {
    return false;
  }
}
