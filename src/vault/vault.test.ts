import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/postgres.js";
import { serviceUrl } from "../../test/helpers/services.js";
import { registerSecret } from "../../test/helpers/witness.js";
import { rejection } from "../../test/helpers/refusal.js";
import type { SealedSecret } from "../core/vault.js";
import { openPostgresStore } from "../store/postgres.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { vaultConfigSchema } from "./settings.js";
import { Vault } from "./vault.js";

const newKey = (label: string) => registerSecret(randomBytes(32).toString("base64"), label);
const KEYS = { k1: newKey("vault test k1"), k2: newKey("vault test k2") };
const value = (i: number) => registerSecret(`tg-${i}-${randomBytes(12).toString("hex")}`, "value");

/** The refusal of `promise`, with none of `secrets` and neither test key in it. */
const refusal = (promise: Promise<unknown>, ...secrets: string[]) =>
  rejection(promise, [...secrets, KEYS.k1, KEYS.k2]);

function describeVault(
  name: string,
  setup: () => Promise<{ store: Store; files: string[]; teardown(): Promise<void> }>,
) {
  describe(`vault on ${name}`, () => {
    let env: Awaited<ReturnType<typeof setup>>;
    let store: Store;
    /** A vault with `ids` configured (the first current), each key from KEYS or as given. */
    const vault = (ids: string[], keys: Record<string, string> = KEYS) =>
      Vault.open(
        store.vault,
        vaultConfigSchema.parse({ keys: ids.map((id) => ({ id, env: `KEY_${id}` })) }),
        Object.fromEntries(ids.map((id) => [`KEY_${id}`, keys[id]])),
      );

    beforeAll(async () => {
      env = await setup();
      store = env.store;
      await store.migrate();
    });
    afterAll(async () => {
      await store?.close();
      await env?.teardown();
    });
    beforeEach(async () => {
      for (const entry of await store.vault.list()) await store.vault.remove(entry.name);
    });

    it("puts, gets, lists and removes values; lists and errors never show a value", async () => {
      const v = vault(["k1"]);
      const secret = value(1);
      const entry = await v.put("bot/alpha/telegram", secret);
      expect(entry).toMatchObject({
        name: "bot/alpha/telegram",
        kekId: "k1",
        bytes: secret.length,
      });
      expect(await v.get("bot/alpha/telegram")).toBe(secret);
      const listed = await v.list();
      expect(listed).toEqual([entry]);
      expect(JSON.stringify(listed)).not.toContain(secret);

      const replaced = value(2);
      const again = await v.put("bot/alpha/telegram", replaced);
      expect(again.createdAt).toBe(entry.createdAt);
      expect(await v.get("bot/alpha/telegram")).toBe(replaced);
      expect(await v.remove("bot/alpha/telegram")).toBe(true);
      expect((await refusal(v.get("bot/alpha/telegram"))).code).toBe("NOT_FOUND");
      expect((await refusal(v.put("Bad Name", secret), secret)).code).toBe("VALIDATION");
      expect((await refusal(v.put("empty", ""))).message).toMatch(/must be 1 byte to 64 KiB/);
      // Nothing of a value reaches the store's files in the clear.
      for (const file of env.files.filter(existsSync))
        for (const s of [secret, replaced, KEYS.k1])
          expect(readFileSync(file).includes(s)).toBe(false);
    });

    it("refuses a stored record whose ciphertext, tag, IV or wrapped key changed", async () => {
      const v = vault(["k1"]);
      const secret = value(3);
      await v.put("provider/openai", secret);
      const original = (await store.vault.get("provider/openai"))!;
      for (const part of ["ciphertext", "tag", "iv", "wrappedKey", "keyTag", "keyIv"] as const) {
        const bytes = Buffer.from(original[part]);
        bytes[bytes.length - 1]! ^= 0x80;
        await store.vault.put({ ...original, [part]: bytes });
        const error = await refusal(v.get("provider/openai"), secret);
        expect(error.code, part).toBe("VAULT_TAMPERED");
        expect(error.message).toMatch(/^vault record "provider\/openai" was refused/);
      }
    });

    it("refuses a record moved to another name (the name is bound to it)", async () => {
      const v = vault(["k1"]);
      const secret = value(4);
      await v.put("bot/alpha/token", secret);
      await v.put("bot/beta/token", value(5));
      const alpha = (await store.vault.get("bot/alpha/token"))!;
      await store.vault.put({ ...alpha, name: "bot/beta/token" });
      const error = await refusal(v.get("bot/beta/token"), secret);
      expect(error.code).toBe("VAULT_TAMPERED");
      expect(await v.get("bot/alpha/token")).toBe(secret);
    });

    it("names an unknown key id and a wrong key, and status shows both", async () => {
      const secret = value(6);
      await vault(["k1"]).put("n/1", secret);
      const unknown = await refusal(vault(["k2"]).get("n/1"), secret);
      expect(unknown.code).toBe("VAULT_KEY_UNKNOWN");
      expect(unknown.message).toMatch(/^vault key "k1" is not configured \(configured: k2\)/);

      const impostor = vault(["k1"], { k1: newKey("vault test impostor") });
      const wrong = await refusal(impostor.get("n/1"), secret);
      expect(wrong.code).toBe("VAULT_KEY_WRONG");
      const status = await impostor.status();
      expect(status.keys[0]).toMatchObject({ id: "k1", records: 1, sealedByOtherKey: 1 });
      expect(status.problems).toEqual([
        expect.stringMatching(/^1 record\(s\) under key id "k1" were sealed by another key/),
      ]);
      expect((await vault(["k2"]).status()).unknownKeys).toEqual([{ kekId: "k1", records: 1 }]);
      expect(JSON.stringify(status)).not.toContain(KEYS.k1);
    });

    it("rotates: old-key records stay readable until re-wrapped, then need only the new key", async () => {
      const old = vault(["k1"]);
      const values = Array.from({ length: 25 }, (_, i) => value(100 + i));
      for (const [i, v] of values.entries()) await old.put(`r/${String(i).padStart(2, "0")}`, v);
      const both = vault(["k2", "k1"]);
      // Before rotation: readable through the previous key; new puts go under the current one.
      expect(await both.get("r/07")).toBe(values[7]);
      expect((await both.status()).toRotate).toBe(25);

      const progress: number[] = [];
      const report = await both.rotate({ batchSize: 10, onProgress: (p) => progress.push(p.done) });
      expect(report).toEqual({
        keyId: "k2",
        total: 25,
        rewrapped: 25,
        changedMeanwhile: 0,
        failed: [],
        interrupted: false,
        remaining: 0,
      });
      expect(progress).toEqual([10, 20, 25]);
      const only = vault(["k2"]);
      for (const [i, v] of values.entries())
        expect(await only.get(`r/${String(i).padStart(2, "0")}`)).toBe(v);
      const status = await only.status();
      expect(status).toMatchObject({ currentKeyId: "k2", records: 25, toRotate: 0, problems: [] });
      expect((await both.rotate({ batchSize: 10 })).total).toBe(0);
    });

    it("stops between batches when interrupted, every record readable, and resumes", async () => {
      for (let i = 0; i < 12; i++)
        await vault(["k1"]).put(`s/${String(i).padStart(2, "0")}`, value(200 + i));
      const both = vault(["k2", "k1"]);
      const stop = new AbortController();
      const first = await both.rotate({
        batchSize: 5,
        signal: stop.signal,
        onProgress: () => stop.abort(),
      });
      expect(first).toMatchObject({ total: 12, rewrapped: 5, interrupted: true, remaining: 7 });
      const counts = Object.fromEntries(
        (await store.vault.countByKek()).map((c) => [c.kekId, c.records]),
      );
      expect(counts).toEqual({ k1: 7, k2: 5 });
      for (let i = 0; i < 12; i++) await both.get(`s/${String(i).padStart(2, "0")}`);
      const second = await both.rotate({ batchSize: 5 });
      expect(second).toMatchObject({ total: 7, rewrapped: 7, interrupted: false, remaining: 0 });
    });

    it("reports records it cannot re-wrap, leaves them as they are and re-wraps the rest", async () => {
      const k1 = vault(["k1"]);
      await k1.put("a/good", value(300));
      await k1.put("b/tampered", value(301));
      await k1.put("c/good", value(302));
      const tampered = (await store.vault.get("b/tampered"))!;
      await store.vault.put({ ...tampered, tag: Buffer.alloc(16) } satisfies SealedSecret);
      await vault(["k3"], { k3: newKey("vault test k3") }).put("d/lost", value(303));
      const report = await vault(["k2", "k1"]).rotate({ batchSize: 2 });
      expect(report).toMatchObject({ total: 4, rewrapped: 2, remaining: 2 });
      expect(report.failed.map((f) => [f.name, f.code])).toEqual([
        ["b/tampered", "VAULT_TAMPERED"],
        ["d/lost", "VAULT_KEY_UNKNOWN"],
      ]);
      expect((await store.vault.get("b/tampered"))!.kekId).toBe("k1");
    });

    it("refuses to rotate or put without the current key, changing nothing", async () => {
      await vault(["k1"]).put("x/1", value(400));
      const missing = Vault.open(
        store.vault,
        vaultConfigSchema.parse({
          keys: [
            { id: "k2", env: "NOPE" },
            { id: "k1", env: "K1" },
          ],
        }),
        { K1: KEYS.k1 },
      );
      expect((await refusal(missing.rotate({ batchSize: 10 }))).code).toBe("VAULT_KEY_MISSING");
      expect((await refusal(missing.put("x/2", "value-xyz"))).code).toBe("VAULT_KEY_MISSING");
      expect(await missing.get("x/1")).toMatch(/^tg-400-/);
      expect((await missing.status()).problems).toEqual([
        expect.stringMatching(/^vault key "k2" is not set: set NOPE/),
      ]);
    });
  });
}

describeVault("sqlite", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "clawops-vault-"));
  const file = path.join(dir, "clawops.db");
  return {
    store: openSqliteStore(file),
    files: [file, `${file}-wal`],
    teardown: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

const pgUrl = serviceUrl("CLAWOPS_TEST_DATABASE_URL", "PostgreSQL");
if (pgUrl) {
  describeVault("postgres", async () => {
    const db = await createTestDatabase(pgUrl);
    return { store: await openPostgresStore(db.url, 5_000), files: [], teardown: () => db.drop() };
  });
}
