import path from "node:path";
import { OpsError, isOpsError } from "../core/errors.js";
import type { JsonPath } from "../core/finding.js";
import { VAULT_NAME, VAULT_NAME_HINT } from "../core/vault.js";
import { formatJsonPath, isRecord } from "../doctor/config-document.js";
import type { Vault } from "../vault/vault.js";

/** `{{vault:NAME}}` as a whole value, and anywhere in a string (to refuse it there). */
const WHOLE = /^\{\{\s*vault:([^}\s]*)\s*\}\}$/;
const ANYWHERE = /\{\{\s*vault:/;

/** The file SecretRef provider provisioning adds for values from the vault. */
export const VAULT_SECRETS_PROVIDER = "clawops-vault";
/** Its file, in the instance's state dir (mode 600). */
export const VAULT_SECRETS_FILE = "vault-secrets.json";

/** The vault record a provider's key comes from by convention, without a template reference. */
export const providerKeyRecord = (provider: string) => `provider/${provider}`;

/**
 * A `{{vault:NAME}}` in a rendered template. A provider's key
 * (`models.providers.<id>.apiKey`) is written through OpenClaw's CLI into its
 * credential store; any other value goes to the instance's private secrets
 * file and the config points at it with a file SecretRef.
 */
export interface VaultReference {
  path: JsonPath;
  name: string;
  target: { kind: "provider-key"; provider: string } | { kind: "secrets-file"; pointer: string };
}

/**
 * Every `{{vault:NAME}}` of `config`. Throws `VALIDATION` for one that is only
 * part of a string (the plaintext would land in the config) or names no valid
 * record.
 */
export function findVaultReferences(config: Record<string, unknown>): VaultReference[] {
  const found: VaultReference[] = [];
  const visit = (node: unknown, at: JsonPath) => {
    if (typeof node === "string") {
      if (!ANYWHERE.test(node)) return;
      const name = WHOLE.exec(node)?.[1];
      const where = formatJsonPath(at);
      if (name === undefined)
        throw refusal(
          at,
          `${where}: a vault reference must be the whole value ("{{vault:NAME}}"): inside a longer string its secret would be written into the config`,
        );
      if (!VAULT_NAME.test(name))
        throw refusal(at, `${where}: vault record name must be ${VAULT_NAME_HINT}, got "${name}"`);
      const provider =
        at.length === 4 && at[0] === "models" && at[1] === "providers" && at[3] === "apiKey"
          ? String(at[2])
          : null;
      found.push({
        path: at,
        name,
        target: provider
          ? { kind: "provider-key", provider }
          : { kind: "secrets-file", pointer: `/${encodePointer(name)}` },
      });
    } else if (Array.isArray(node)) node.forEach((child, i) => visit(child, [...at, i]));
    else if (isRecord(node))
      for (const [key, child] of Object.entries(node)) visit(child, [...at, key]);
  };
  visit(config, []);
  return found;
}

/**
 * The config as it is written: a provider key's reference removed (the key
 * goes to OpenClaw's credential store), every other reference replaced by a
 * file SecretRef into `<stateDir>/vault-secrets.json`, whose provider is added
 * under `secrets.providers`. No value of the vault is in it.
 */
export function withVaultReferences(
  config: Record<string, unknown>,
  refs: readonly VaultReference[],
  stateDir: string,
): Record<string, unknown> {
  if (refs.length === 0) return config;
  const out = structuredClone(config);
  for (const ref of refs) {
    const parent = ref.path
      .slice(0, -1)
      .reduce<unknown>(
        (node, key) => (node as Record<string | number, unknown>)[key],
        out,
      ) as Record<string | number, unknown>;
    const key = ref.path.at(-1)!;
    if (ref.target.kind === "provider-key") delete parent[key];
    else parent[key] = { source: "file", provider: VAULT_SECRETS_PROVIDER, id: ref.target.pointer };
  }
  if (refs.some((r) => r.target.kind === "secrets-file")) {
    const secrets: Record<string, unknown> = isRecord(out.secrets)
      ? out.secrets
      : (out.secrets = {});
    const providers: Record<string, unknown> = isRecord(secrets.providers)
      ? secrets.providers
      : (secrets.providers = {});
    if (providers[VAULT_SECRETS_PROVIDER] !== undefined)
      throw refusal(
        ["secrets", "providers", VAULT_SECRETS_PROVIDER],
        `secrets.providers.${VAULT_SECRETS_PROVIDER} is clawops's, for the values of {{vault:...}}: rename the template's own`,
      );
    providers[VAULT_SECRETS_PROVIDER] = {
      source: "file",
      path: path.join(stateDir, VAULT_SECRETS_FILE),
      mode: "json",
    };
  }
  return out;
}

/** The secrets file: each referenced record's value under its name. */
export function secretsFileText(values: ReadonlyMap<string, string>): string {
  return `${JSON.stringify(Object.fromEntries(values), null, 2)}\n`;
}

/**
 * Throws `VALIDATION` naming the first record that does not exist, and where
 * it is used. Nothing is decrypted: a dry run checks names only.
 */
export async function checkRecordsExist(
  vault: Vault,
  uses: readonly { name: string; usedAt: string }[],
): Promise<void> {
  for (const use of uses) {
    if (await vault.entry(use.name)) continue;
    throw new OpsError(
      "VALIDATION",
      `vault record "${use.name}" (for ${use.usedAt}) does not exist: put it with clawops vault put ${use.name} (the value on stdin); nothing was written`,
      {
        issues: [{ path: use.usedAt, message: `no vault record "${use.name}"`, severity: "error" }],
      },
    );
  }
}

/**
 * Decrypts each record once, before anything is written: a missing record, a
 * key that cannot be read or a tampered record stops provisioning with an
 * error naming the record, the vault's code kept. Values stay in memory only.
 */
export async function openRecords(
  vault: Vault,
  names: Iterable<string>,
): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const name of new Set(names)) {
    try {
      values.set(name, await vault.get(name));
    } catch (error) {
      if (!isOpsError(error)) throw error;
      const message = error.message.includes(`"${name}"`)
        ? error.message
        : `vault record "${name}": ${error.message}`;
      throw new OpsError(error.code, `${message}; nothing was written`, {
        details: { ...error.details, name },
        issues: error.issues,
      });
    }
  }
  return values;
}

/** RFC 6901: `~` and `/` escaped, as OpenClaw decodes a file SecretRef's id. */
function encodePointer(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

function refusal(at: JsonPath, message: string): OpsError {
  return new OpsError("VALIDATION", message, {
    issues: [{ path: formatJsonPath(at), message, severity: "error" }],
  });
}
