import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/**
 * Password hashing with scrypt (memory-hard, node:crypto). The stored form
 * carries its parameters, so that they can be raised later without breaking
 * old hashes: `scrypt$<log2 N>$<r>$<p>$<salt b64url>$<hash b64url>`.
 * N = 2^15, r = 8 uses 32 MiB and ~60-100 ms a hash on this kind of machine:
 * slow for a guesser, fine for a login.
 */
const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(
      password.normalize("NFKC"),
      salt,
      KEY_BYTES,
      { N: 2 ** logN, r, p, maxmem: 2 ** logN * r * 256 },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, LOG_N, R, P);
  return ["scrypt", LOG_N, R, P, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** False for a wrong password and for a hash this code cannot read (never throws on input). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, logN, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !key) return false;
  const params = [Number(logN), Number(r), Number(p)];
  if (!params.every((n) => Number.isInteger(n) && n > 0 && n <= 32)) return false;
  const expected = Buffer.from(key, "base64url");
  const actual = await derive(
    password,
    Buffer.from(salt, "base64url"),
    ...(params as [number, number, number]),
  );
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
