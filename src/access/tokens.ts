import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * API token strings: `clawops_<id>_<secret>`. The id (12 hex) finds the
 * record; the secret (32 random bytes, base64url) proves it. The prefix makes
 * a leaked token easy to recognise in a scan (and for secret scanners).
 */
const TOKEN = /^clawops_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface MintedToken {
  id: string;
  /** The whole token: shown once, never stored. */
  token: string;
  /** What the store keeps. */
  secretHash: string;
}

export function mintToken(): MintedToken {
  const id = randomBytes(6).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  return { id, token: `clawops_${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** The id and secret of a well-formed token; null otherwise. */
export function parseToken(token: string): { id: string; secret: string } | null {
  const match = TOKEN.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), "hex");
  const expected = Buffer.from(storedHash, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A random opaque value (cookie secrets, CSRF tokens, setup codes). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}
