import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { registerSecret } from "../../test/helpers/witness.js";
import { refusal } from "../../test/helpers/refusal.js";
import {
  type Envelope,
  type Kek,
  kekCheck,
  openEnvelope,
  rewrapEnvelope,
  seal,
} from "./envelope.js";

const kek = (id: string): Kek => ({
  id,
  key: Buffer.from(registerSecret(randomBytes(32).toString("base64"), `vault key ${id}`), "base64"),
});
const SECRET = registerSecret("xoxb-envelope-secret-4f9a1c77d2", "envelope test value");

/** The refusal `work` throws, with neither the value nor any of `keys` in it. */
const refused = (work: () => unknown, ...keys: Kek[]) =>
  refusal(work, [SECRET, ...keys.map((k) => k.key.toString("base64"))]);

/** A copy of `e` with one byte of `part` flipped. */
function flip(e: Envelope, part: keyof Envelope, at = 0): Envelope {
  const bytes = Buffer.from(e[part] as Buffer);
  bytes[at]! ^= 0x01;
  return { ...e, [part]: bytes };
}

describe("vault envelope", () => {
  const k1 = kek("k1");

  it("round-trips a value, and the ciphertext is not the value", () => {
    const sealed = seal(k1, "bot/alpha/telegram", Buffer.from(SECRET));
    expect(sealed).toMatchObject({ name: "bot/alpha/telegram", version: 1, kekId: "k1" });
    expect(sealed.kekCheck).toBe(kekCheck(k1.key));
    expect(Buffer.concat([sealed.ciphertext, sealed.wrappedKey]).includes(SECRET)).toBe(false);
    expect(sealed.ciphertext.length).toBe(Buffer.byteLength(SECRET));
    expect(openEnvelope(k1, sealed).toString()).toBe(SECRET);
    // Non-ASCII and binary-looking values come back exactly.
    const odd = "clé 🔑\u0000end";
    expect(openEnvelope(k1, seal(k1, "x", Buffer.from(odd))).toString()).toBe(odd);
  });

  it("uses a fresh IV and data key for every encryption", () => {
    const ivs = new Set<string>();
    const wrapped = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const e = seal(k1, "same/name", Buffer.from(SECRET));
      ivs.add(e.iv.toString("hex"));
      ivs.add(e.keyIv.toString("hex"));
      wrapped.add(e.wrappedKey.toString("hex"));
      expect(e.iv.length).toBe(12);
      expect(e.keyIv.length).toBe(12);
    }
    expect(ivs.size).toBe(4_000);
    expect(wrapped.size).toBe(2_000);
  });

  it("refuses any changed byte of the ciphertext, tag, IV, wrapped key, key IV or key tag", () => {
    const sealed = seal(k1, "provider/openai", Buffer.from(SECRET));
    for (const part of ["ciphertext", "tag", "iv", "wrappedKey", "keyIv", "keyTag"] as const) {
      for (const at of [0, sealed[part].length - 1]) {
        const error = refused(() => openEnvelope(k1, flip(sealed, part, at)), k1);
        expect(error.code, `${part}[${at}]`).toBe("VAULT_TAMPERED");
        expect(error.message).toMatch(/^vault record "provider\/openai" was refused: its /);
      }
    }
  });

  it("refuses truncated or extended parts before decrypting (GCM would accept a short tag)", () => {
    const sealed = seal(k1, "n", Buffer.from(SECRET));
    const cases: [keyof Envelope, Buffer, RegExp][] = [
      ["tag", sealed.tag.subarray(0, 12), /its tag is 12 bytes, not 16/],
      ["keyTag", sealed.keyTag.subarray(0, 4), /its key tag is 4 bytes, not 16/],
      ["iv", Buffer.concat([sealed.iv, Buffer.alloc(4)]), /its IV is 16 bytes, not 12/],
      ["wrappedKey", sealed.wrappedKey.subarray(1), /its wrapped key is 31 bytes, not 32/],
      ["ciphertext", sealed.ciphertext.subarray(1), /its value failed authentication/],
    ];
    for (const [part, bytes, message] of cases) {
      const error = refused(() => openEnvelope(k1, { ...sealed, [part]: bytes }), k1);
      expect(error.code).toBe("VAULT_TAMPERED");
      expect(error.message).toMatch(message);
    }
    expect(refused(() => openEnvelope(k1, { ...sealed, version: 2 })).message).toMatch(
      /format version is 2/,
    );
  });

  it("binds the record's name: a record copied to another name is refused", () => {
    const sealed = seal(k1, "bot/alpha/token", Buffer.from(SECRET));
    const moved = { ...sealed, name: "bot/beta/token" };
    const error = refused(() => openEnvelope(k1, moved), k1);
    expect(error.code).toBe("VAULT_TAMPERED");
    expect(error.message).toContain('"bot/beta/token"');
    // Only the value moved (a wrapping of its own for the other name): refused too.
    const other = seal(k1, "bot/beta/token", Buffer.from("another value"));
    const spliced = { ...other, iv: sealed.iv, ciphertext: sealed.ciphertext, tag: sealed.tag };
    expect(refused(() => openEnvelope(k1, spliced), k1).code).toBe("VAULT_TAMPERED");
  });

  it("tells a wrong key from a changed record", () => {
    const sealed = seal(k1, "n", Buffer.from(SECRET));
    const impostor: Kek = { id: "k1", key: randomBytes(32) };
    const error = refused(() => openEnvelope(impostor, sealed), k1, impostor);
    expect(error.code).toBe("VAULT_KEY_WRONG");
    expect(error.message).toMatch(/the key configured as "k1" is not the key that sealed it/);
    // Relabelled to another key id (with that key's check value): refused, the id is bound.
    const k2 = kek("k2");
    const relabelled = { ...sealed, kekId: "k2", kekCheck: kekCheck(k2.key) };
    expect(refused(() => openEnvelope(k2, relabelled), k1, k2).code).toBe("VAULT_TAMPERED");
  });

  it("re-wraps under another key: same value and ciphertext, new wrapping", () => {
    const k2 = kek("k2");
    const sealed = seal(k1, "n", Buffer.from(SECRET));
    const rewrapped = rewrapEnvelope(k1, k2, sealed);
    expect(rewrapped).toMatchObject({ kekId: "k2", kekCheck: kekCheck(k2.key) });
    expect(rewrapped.ciphertext).toEqual(sealed.ciphertext);
    expect(rewrapped.keyIv.equals(sealed.keyIv)).toBe(false);
    expect(openEnvelope(k2, rewrapped).toString()).toBe(SECRET);
    expect(refused(() => openEnvelope(k1, { ...rewrapped, kekId: "k1" }), k1).code).toMatch(
      /^VAULT_/,
    );
    // A tampered record is not re-wrapped (that would bless it).
    expect(refused(() => rewrapEnvelope(k1, k2, flip(sealed, "tag")), k1, k2).code).toBe(
      "VAULT_TAMPERED",
    );
  });
});
