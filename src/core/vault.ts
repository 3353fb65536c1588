/**
 * A secret as the vault stores it (src/vault/): AES-256-GCM envelope
 * encryption. The value is encrypted under its own random data key; the data
 * key is encrypted ("wrapped") under a key-encryption key (KEK) named by
 * `kekId`. Nothing here is secret without the KEK.
 */
export interface SealedSecret {
  /** The record's identity, bound into both encryptions (AAD): `bot/alpha/telegram`. */
  name: string;
  /** The envelope format (1: AES-256-GCM data key wrapped by AES-256-GCM). */
  version: number;
  /** The id of the KEK that wrapped the data key (`vault.keys[].id`). */
  kekId: string;
  /** A check value of that KEK (HMAC, 8 bytes hex): tells a wrong key from a changed record. */
  kekCheck: string;
  /** The wrapping's 96-bit IV, the wrapped 256-bit data key and the wrapping's 128-bit tag. */
  keyIv: Buffer;
  wrappedKey: Buffer;
  keyTag: Buffer;
  /** The value's 96-bit IV, its ciphertext and its 128-bit tag. */
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  /** UTC ISO 8601: when the name was first stored, and when its value was last set. */
  createdAt: string;
  updatedAt: string;
}

/** What may be shown of a record: never its value, its keys or its ciphertext. */
export interface VaultEntry {
  name: string;
  kekId: string;
  /** The value's length in bytes (UTF-8). */
  bytes: number;
  createdAt: string;
  updatedAt: string;
}

/** Records per KEK id and check value (two check values under one id: two different keys). */
export interface VaultKeyCount {
  kekId: string;
  kekCheck: string;
  records: number;
}

/**
 * Record names: what provisioning and operators call a secret. ASCII only,
 * so that a name sorts and compares the same on SQLite and PostgreSQL.
 */
export const VAULT_NAME = /^[a-z0-9][a-z0-9._:/-]{0,199}$/;
export const VAULT_NAME_HINT =
  "1 to 200 characters: lowercase letters, digits and . _ : / -, starting with a letter or digit";
