import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { OpsError } from "../core/errors.js";
import type { SealedSecret } from "../core/vault.js";

/** The envelope format `seal` writes; `open` refuses any other. */
export const ENVELOPE_VERSION = 1;
const CIPHER = "aes-256-gcm";
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A key-encryption key: its id (`vault.keys[].id`) and its 32 bytes. */
export interface Kek {
  id: string;
  key: Buffer;
}

/** The sealed parts of a record, without its times (the store keeps those). */
export type Envelope = Omit<SealedSecret, "createdAt" | "updatedAt">;

/**
 * The KEK's check value: 8 bytes of HMAC-SHA256 under the key, in hex. Stored
 * with each record so that a failed unwrap can say "wrong key" (the check
 * differs) rather than "changed record"; 64 bits tell keys apart and reveal
 * nothing usable about a 256-bit key.
 */
export function kekCheck(key: Buffer): string {
  return createHmac("sha256", key)
    .update("clawops vault key check v1")
    .digest()
    .subarray(0, 8)
    .toString("hex");
}

/**
 * The associated data of each encryption: the record's name (so a record
 * copied to another name fails), the part, and for the data key the KEK id
 * (so a wrapped key relabelled to another KEK id fails). JSON: unambiguous
 * whatever characters the name holds.
 */
function aad(part: "value" | "key", name: string, kekId?: string): Buffer {
  return Buffer.from(
    JSON.stringify(["clawops-vault", ENVELOPE_VERSION, part, name, kekId ?? null]),
  );
}

function encrypt(key: Buffer, plaintext: Buffer, associated: Buffer) {
  // A fresh random 96-bit IV every time: data keys are single-use, KEKs wrap many keys.
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associated);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Null when authentication fails: the caller names what failed. */
function decrypt(
  key: Buffer,
  parts: { iv: Buffer; ciphertext: Buffer; tag: Buffer },
  associated: Buffer,
): Buffer | null {
  const decipher = createDecipheriv(CIPHER, key, parts.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(associated);
  decipher.setAuthTag(parts.tag);
  try {
    return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
  } catch {
    return null;
  }
}

/**
 * Encrypts `plaintext` for the record `name` under a new random data key,
 * wrapped by `kek`. Never fails for a valid 32-byte KEK.
 */
export function seal(kek: Kek, name: string, plaintext: Buffer): Envelope {
  const dataKey = randomBytes(KEY_BYTES);
  try {
    const value = encrypt(dataKey, plaintext, aad("value", name));
    return { name, version: ENVELOPE_VERSION, ...wrap(kek, name, dataKey), ...value };
  } finally {
    dataKey.fill(0);
  }
}

function wrap(kek: Kek, name: string, dataKey: Buffer) {
  const wrapped = encrypt(kek.key, dataKey, aad("key", name, kek.id));
  return {
    kekId: kek.id,
    kekCheck: kekCheck(kek.key),
    keyIv: wrapped.iv,
    wrappedKey: wrapped.ciphertext,
    keyTag: wrapped.tag,
  };
}

/**
 * Decrypts a record with `kek` (the KEK of the record's `kekId`). Throws
 * `VAULT_KEY_WRONG` when `kek` is not the key that sealed it (its check value
 * differs) and `VAULT_TAMPERED` when any part fails authentication (changed
 * bytes, a truncated tag, a record copied from another name): never returns
 * unauthenticated bytes. Errors name the record, never its value.
 */
export function openEnvelope(kek: Kek, envelope: Envelope): Buffer {
  const dataKey = unwrap(kek, envelope);
  try {
    return openValue(dataKey, envelope);
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Re-wraps a record's data key under `to` after checking, with `from` (the
 * KEK of its `kekId`), that the whole record authenticates. The value's
 * ciphertext is unchanged. Throws as `openEnvelope`.
 */
export function rewrapEnvelope(from: Kek, to: Kek, envelope: Envelope): Envelope {
  const dataKey = unwrap(from, envelope);
  try {
    openValue(dataKey, envelope).fill(0);
    return { ...envelope, ...wrap(to, envelope.name, dataKey) };
  } finally {
    dataKey.fill(0);
  }
}

function openValue(dataKey: Buffer, envelope: Envelope): Buffer {
  const value = decrypt(dataKey, envelope, aad("value", envelope.name));
  if (!value) throw tampered(envelope.name, "its value failed authentication");
  return value;
}

function unwrap(kek: Kek, envelope: Envelope): Buffer {
  checkShape(envelope);
  if (kek.id !== envelope.kekId) {
    // A programming error, not a record's: the caller picks the KEK by the record's id.
    throw new OpsError(
      "INTERNAL",
      `vault: key ${kek.id} offered for a record of ${envelope.kekId}`,
    );
  }
  const wrapped = { iv: envelope.keyIv, ciphertext: envelope.wrappedKey, tag: envelope.keyTag };
  const dataKey = decrypt(kek.key, wrapped, aad("key", envelope.name, envelope.kekId));
  if (dataKey) return dataKey;
  if (kekCheck(kek.key) !== envelope.kekCheck) {
    throw new OpsError(
      "VAULT_KEY_WRONG",
      `vault record "${envelope.name}": the key configured as "${envelope.kekId}" is not the key that sealed it (its check value differs); configure the original key under that id (vault.keys)`,
      { details: { name: envelope.name, kekId: envelope.kekId } },
    );
  }
  throw tampered(envelope.name, "its wrapped data key failed authentication");
}

/**
 * Exact sizes before any decryption: Node's GCM accepts IVs of any length and
 * tags as short as 4 bytes, and a truncated tag is a weaker check.
 */
function checkShape(e: Envelope): void {
  if (e.version !== ENVELOPE_VERSION) {
    throw tampered(
      e.name,
      `its format version is ${e.version}, this clawops reads ${ENVELOPE_VERSION}`,
    );
  }
  const sizes: [string, Buffer, number][] = [
    ["key IV", e.keyIv, IV_BYTES],
    ["wrapped key", e.wrappedKey, KEY_BYTES],
    ["key tag", e.keyTag, TAG_BYTES],
    ["IV", e.iv, IV_BYTES],
    ["tag", e.tag, TAG_BYTES],
  ];
  for (const [part, bytes, expected] of sizes) {
    if (bytes.length !== expected)
      throw tampered(e.name, `its ${part} is ${bytes.length} bytes, not ${expected}`);
  }
}

function tampered(name: string, why: string): OpsError {
  return new OpsError(
    "VAULT_TAMPERED",
    `vault record "${name}" was refused: ${why} (it was changed, damaged, or copied from another record); nothing was decrypted: put the value again`,
    { details: { name } },
  );
}
