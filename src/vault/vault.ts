import { OpsError } from "../core/errors.js";
import { VAULT_NAME, VAULT_NAME_HINT, type VaultEntry } from "../core/vault.js";
import type { VaultStore } from "../store/vault-store.js";
import { openEnvelope, seal } from "./envelope.js";
import { type KeyInfo, KeyRing } from "./keyring.js";
import { type RotateOptions, type RotateReport, rotateVault } from "./rotate.js";
import type { VaultSettings } from "./settings.js";

/** The largest value `put` takes: credentials are small; a file is not a credential. */
export const MAX_VALUE_BYTES = 64 * 1024;

export interface VaultDeps {
  store: VaultStore;
  keys: KeyRing;
  /** Milliseconds since the epoch (tests pass a clock). */
  now?: () => number;
}

/** One configured key with the records under its id. */
export interface VaultKeyStatus extends KeyInfo {
  records: number;
  /** Records under this id sealed by another key than the one configured (null: key not loaded). */
  sealedByOtherKey: number | null;
}

export interface VaultStatus {
  currentKeyId: string;
  keys: VaultKeyStatus[];
  /** Records under key ids that are not configured: unreadable until their key is added back. */
  unknownKeys: { kekId: string; records: number }[];
  records: number;
  /** Records not under the current key: what `clawops vault rotate` would re-wrap. */
  toRotate: number;
  /** Everything that keeps a record unreadable or a put from working, one sentence each. */
  problems: string[];
}

/**
 * The credential vault: values sealed by AES-256-GCM envelope encryption
 * (envelope.ts) in the store, under the configured keys (keyring.ts).
 * `get` returns a plaintext to in-process callers only (provisioning); no
 * other method returns or logs a value, and no error carries one.
 */
export class Vault {
  private readonly now: () => number;

  constructor(private readonly deps: VaultDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The vault of clawops.yaml's `vault` settings on `store`, keys read from `env`. */
  static open(store: VaultStore, settings: VaultSettings, env?: NodeJS.ProcessEnv): Vault {
    return new Vault({ store, keys: KeyRing.load(settings, env) });
  }

  /**
   * Seals `value` under the current key as `name`, replacing any value of
   * that name. Throws `VALIDATION` for a bad name or an empty or too large
   * value, the current key's `VAULT_KEY_MISSING`/`VAULT_KEY_INVALID` when it
   * cannot be loaded, `STORE_UNREACHABLE` as every store write.
   */
  async put(name: string, value: string): Promise<VaultEntry> {
    checkName(name);
    const plaintext = Buffer.from(value, "utf8");
    try {
      if (plaintext.length === 0 || plaintext.length > MAX_VALUE_BYTES) {
        throw new OpsError(
          "VALIDATION",
          `the value of "${name}" must be 1 byte to ${MAX_VALUE_BYTES / 1024} KiB, got ${plaintext.length} bytes`,
          { issues: [{ path: "value", message: "1 byte to 64 KiB", severity: "error" }] },
        );
      }
      const at = new Date(this.now()).toISOString();
      const envelope = seal(this.deps.keys.current(), name, plaintext);
      const stored = await this.deps.store.put({ ...envelope, createdAt: at, updatedAt: at });
      const { createdAt, updatedAt } = stored;
      return { name, kekId: stored.kekId, bytes: plaintext.length, createdAt, updatedAt };
    } finally {
      plaintext.fill(0);
    }
  }

  /**
   * The plaintext of `name`, for in-process callers only (never print, log
   * or serve it). Throws `NOT_FOUND`; `VAULT_KEY_UNKNOWN` when its key id is
   * not configured; the key's `VAULT_KEY_MISSING`/`VAULT_KEY_INVALID`;
   * `VAULT_KEY_WRONG` when the key configured under its id is another key;
   * `VAULT_TAMPERED` when the record fails authentication. Never garbage.
   */
  async get(name: string): Promise<string> {
    checkName(name);
    const record = await this.deps.store.get(name);
    if (!record)
      throw new OpsError("NOT_FOUND", `no vault record "${name}"`, { details: { name } });
    const plaintext = openEnvelope(this.deps.keys.key(record.kekId), record);
    try {
      return plaintext.toString("utf8");
    } finally {
      plaintext.fill(0);
    }
  }

  /** The metadata of `name`, null when there is no such record; nothing is decrypted. */
  async entry(name: string): Promise<VaultEntry | null> {
    checkName(name);
    const record = await this.deps.store.get(name);
    if (!record) return null;
    const { kekId, createdAt, updatedAt } = record;
    return { name, kekId, bytes: record.ciphertext.length, createdAt, updatedAt };
  }

  /** Names and metadata, by name; `prefix` keeps the names that start with it. Never values. */
  list(prefix?: string): Promise<VaultEntry[]> {
    return this.deps.store.list(prefix);
  }

  /** Removes a record; false when there was none. */
  remove(name: string): Promise<boolean> {
    checkName(name);
    return this.deps.store.remove(name);
  }

  /** The keys, the records under each, and every problem; never throws for a key's problem. */
  async status(): Promise<VaultStatus> {
    const counts = await this.deps.store.countByKek();
    const infos = this.deps.keys.describe();
    const problems: string[] = [];
    const keys = infos.map((info): VaultKeyStatus => {
      const mine = counts.filter((c) => c.kekId === info.id);
      const records = mine.reduce((n, c) => n + c.records, 0);
      const other = info.check === null ? null : mine.filter((c) => c.kekCheck !== info.check);
      const sealedByOtherKey = other?.reduce((n, c) => n + c.records, 0) ?? null;
      if (info.problem && (info.current || records > 0)) problems.push(info.problem);
      if (sealedByOtherKey)
        problems.push(
          `${sealedByOtherKey} record(s) under key id "${info.id}" were sealed by another key than the one configured as "${info.id}" (${info.source}): they cannot be read`,
        );
      return { ...info, records, sealedByOtherKey };
    });
    const unknownKeys = [...new Set(counts.map((c) => c.kekId))]
      .filter((kekId) => !infos.some((i) => i.id === kekId))
      .map((kekId) => ({
        kekId,
        records: counts.filter((c) => c.kekId === kekId).reduce((n, c) => n + c.records, 0),
      }));
    for (const u of unknownKeys)
      problems.push(
        `${u.records} record(s) under key id "${u.kekId}", which is not configured: add that key to vault.keys`,
      );
    const records = counts.reduce((n, c) => n + c.records, 0);
    const current = keys[0]!;
    return {
      currentKeyId: current.id,
      keys,
      unknownKeys,
      records,
      toRotate: records - current.records,
      problems,
    };
  }

  /** Re-wraps every record under the current key: rotate.ts `rotateVault`. */
  rotate(options: RotateOptions): Promise<RotateReport> {
    return rotateVault(this.deps, options);
  }
}

/** `VALIDATION` before any store call, so that a bad name reads the same from every method. */
function checkName(name: string): void {
  if (typeof name === "string" && VAULT_NAME.test(name)) return;
  const shown = typeof name === "string" ? JSON.stringify(name.slice(0, 40)) : String(name);
  const message = `vault name must be ${VAULT_NAME_HINT}, got ${shown}`;
  throw new OpsError("VALIDATION", message, {
    issues: [{ path: "name", message, severity: "error" }],
  });
}
