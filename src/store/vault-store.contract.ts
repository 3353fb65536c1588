import { randomBytes, randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { SealedSecret } from "../core/vault.js";
import { expectValidation } from "./session-store.contract.js";
import type { Store } from "./store.js";

/** A record with random parts (the store does no crypto), with a zero byte and high bytes in each. */
function sealed(name: string, extra: Partial<SealedSecret> = {}): SealedSecret {
  const part = (n: number) => Buffer.concat([Buffer.from([0, 255]), randomBytes(n - 2)]);
  return {
    name,
    version: 1,
    kekId: "k1",
    kekCheck: "0123456789abcdef",
    keyIv: part(12),
    wrappedKey: part(32),
    keyTag: part(16),
    iv: part(12),
    ciphertext: part(40),
    tag: part(16),
    createdAt: "2026-11-30T10:00:00.000Z",
    updatedAt: "2026-11-30T10:00:00.000Z",
    ...extra,
  };
}

/**
 * Vault records, part of the store contract: `store()` is the suite's
 * migrated store (shared: each test uses a name prefix of its own), `open()`
 * a second store on the same database.
 */
export function vaultStoreContract(ctx: { store(): Store; open(): Promise<Store> }) {
  const prefix = () => `t${randomUUID().slice(0, 8)}/`;

  it("stores a sealed record byte for byte, replaces it keeping its creation time, and keeps it across a reopen", async () => {
    const { vault } = ctx.store();
    const name = `${prefix()}telegram`;
    const first = sealed(name);
    expect(await vault.put(first)).toEqual(first);
    expect(await vault.get(name)).toEqual(first);
    const second = sealed(name, {
      kekId: "k2",
      updatedAt: "2026-11-30T12:00:00+01:00",
      createdAt: "2026-11-30T11:00:00.000Z",
    });
    const stored = await vault.put(second);
    // Creation time is the first put's; times come back in UTC.
    const expected = {
      ...second,
      createdAt: first.createdAt,
      updatedAt: "2026-11-30T11:00:00.000Z",
    };
    expect(stored).toEqual(expected);
    const other = await ctx.open();
    try {
      expect(await other.vault.get(name)).toEqual(expected);
    } finally {
      await other.close();
    }
    expect(await vault.get(`${prefix()}absent`)).toBeNull();
  });

  it("lists names and metadata by prefix, never the sealed parts, and removes records", async () => {
    const { vault } = ctx.store();
    const p = prefix();
    // '_' is a plain character of a prefix, not LIKE's "any character".
    await vault.put(sealed(`${p}b`));
    await vault.put(sealed(`${p}a_1`, { ciphertext: Buffer.alloc(7) }));
    await vault.put(sealed(`${p}ab2`));
    await vault.put(sealed(`${p.slice(0, -1)}x/a_1`));
    const all = await vault.list(p);
    expect(all.map((e) => e.name)).toEqual([`${p}a_1`, `${p}ab2`, `${p}b`]);
    expect(all[0]).toEqual({
      name: `${p}a_1`,
      kekId: "k1",
      bytes: 7,
      createdAt: "2026-11-30T10:00:00.000Z",
      updatedAt: "2026-11-30T10:00:00.000Z",
    });
    expect((await vault.list(`${p}a_`)).map((e) => e.name)).toEqual([`${p}a_1`]);
    expect(await vault.remove(`${p}b`)).toBe(true);
    expect(await vault.remove(`${p}b`)).toBe(false);
    expect((await vault.list(p)).length).toBe(2);
  });

  it("counts records per key and pages through those not under a key", async () => {
    const { vault } = ctx.store();
    const before = await vault.countByKek();
    const p = prefix();
    for (const [n, kekId, kekCheck] of [
      ["a", "old", "00000000000000aa"],
      ["b", "new", "00000000000000bb"],
      ["c", "old", "00000000000000aa"],
      ["d", "old", "00000000000000cc"],
    ] as const)
      await vault.put(sealed(`${p}${n}`, { kekId, kekCheck }));
    const after = await vault.countByKek();
    const added = (kekId: string, kekCheck: string) =>
      (after.find((c) => c.kekId === kekId && c.kekCheck === kekCheck)?.records ?? 0) -
      (before.find((c) => c.kekId === kekId && c.kekCheck === kekCheck)?.records ?? 0);
    expect([added("old", "00000000000000aa"), added("new", "00000000000000bb")]).toEqual([2, 1]);
    expect(added("old", "00000000000000cc")).toBe(1);

    const mine = async (after: string | null) =>
      (await vault.listNotUnder("new", after, 2)).filter((r) => r.name.startsWith(p));
    const page1 = await vault.listNotUnder("new", p, 2);
    expect(page1.map((r) => r.name)).toEqual([`${p}a`, `${p}c`]);
    expect((await mine(`${p}c`)).map((r) => r.name)).toEqual([`${p}d`]);
  });

  it("re-wraps a record only while it still has the wrapping it was read with", async () => {
    const { vault } = ctx.store();
    const p = prefix();
    const a = await vault.put(sealed(`${p}a`));
    const b = await vault.put(sealed(`${p}b`));
    const rewrapped = (r: SealedSecret) => ({
      ...r,
      kekId: "k2",
      kekCheck: "fedcba9876543210",
      keyIv: randomBytes(12),
      wrappedKey: randomBytes(32),
      keyTag: randomBytes(16),
    });
    // b's value is replaced after it was read: its re-wrapping of the old value must not land.
    const newB = await vault.put(sealed(`${p}b`));
    const [toA, toB] = [rewrapped(a), rewrapped(b)];
    expect(
      await vault.rewrap([
        { from: a, to: toA },
        { from: b, to: toB },
      ]),
    ).toBe(1);
    expect(await vault.get(`${p}a`)).toEqual(toA);
    expect(await vault.get(`${p}b`)).toEqual(newB);
    // The same change again: a no longer has the wrapping it was read with.
    expect(await vault.rewrap([{ from: a, to: rewrapped(a) }])).toBe(0);
    expect(await vault.rewrap([])).toBe(0);
  });

  it("refuses a record that breaks its type, naming the field", async () => {
    const { vault } = ctx.store();
    const name = `${prefix()}bad`;
    const bad = (extra: Record<string, unknown>) => vault.put({ ...sealed(name), ...extra });
    await expectValidation(bad({ name: "Upper" }), /^name must be 1 to 200 characters/);
    await expectValidation(bad({ name: "a b" }), /^name must be/);
    await expectValidation(bad({ kekId: "" }), /^kekId must be a non-empty string/);
    await expectValidation(bad({ kekCheck: "xyz" }), /^kekCheck must be 16 hex digits/);
    await expectValidation(bad({ iv: "AAAA" }), /^iv must be bytes/);
    await expectValidation(bad({ version: 0 }), /^version must be a whole number >= 1/);
    await expectValidation(bad({ updatedAt: "now" }), /^updatedAt must be an ISO 8601/);
    await expectValidation(vault.get("../etc"), /^name must be/);
    expect(await vault.get(name)).toBeNull();
  });
}
