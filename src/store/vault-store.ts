import type { SealedSecret, VaultEntry, VaultKeyCount } from "../core/vault.js";

/** A record's new wrapping, replacing `from`'s only if the record still has `from`'s wrapping. */
export interface Rewrap {
  from: SealedSecret;
  to: SealedSecret;
}

/**
 * What the vault (src/vault/) stores: sealed records only; the store never
 * sees a key or a value. Names must match `VAULT_NAME` (else `VALIDATION`);
 * times come back as UTC ISO 8601.
 */
export interface VaultStore {
  /** The record of `name`, or null. */
  get(name: string): Promise<SealedSecret | null>;
  /**
   * Inserts or replaces the record of `name`. A replaced record keeps its
   * `createdAt`; returns the record as stored.
   */
  put(record: SealedSecret): Promise<SealedSecret>;
  /** Records whose names start with `prefix` (all without one), by name; never their ciphertext. */
  list(prefix?: string): Promise<VaultEntry[]>;
  /** False when there was no such record. */
  remove(name: string): Promise<boolean>;
  /** Records per KEK id and check value, by id. */
  countByKek(): Promise<VaultKeyCount[]>;
  /** At most `limit` records NOT under `kekId` whose names sort after `after`, by name (rotation's pages). */
  listNotUnder(kekId: string, after: string | null, limit: number): Promise<SealedSecret[]>;
  /**
   * Replaces each record's wrapping (key id, check, key IV, wrapped key, key
   * tag) in one transaction, each only if the record still has its `from`
   * wrapping and ciphertext: a record replaced meanwhile is left as it is.
   * Returns how many were replaced.
   */
  rewrap(changes: readonly Rewrap[]): Promise<number>;
}
