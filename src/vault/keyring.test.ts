import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registerSecret } from "../../test/helpers/witness.js";
import { resolveConfig } from "../config/load.js";
import { refusal } from "../../test/helpers/refusal.js";
import { kekCheck } from "./envelope.js";
import { KeyRing } from "./keyring.js";
import { type VaultSettings, vaultConfigSchema } from "./settings.js";

const dir = mkdtempSync(path.join(tmpdir(), "clawops-keyring-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const newKey = (label: string) => registerSecret(randomBytes(32).toString("base64"), label);
const settings = (keys: VaultSettings["keys"]): VaultSettings => vaultConfigSchema.parse({ keys });

function keyFile(name: string, text: string, mode: number): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

describe("vault key ring", () => {
  it("reads the default key from CLAWOPS_VAULT_KEY, and says how to set it when unset", () => {
    const key = newKey("keyring default key");
    const ring = KeyRing.load(vaultConfigSchema.parse(undefined), { CLAWOPS_VAULT_KEY: key });
    expect(ring.currentId).toBe("primary");
    expect(ring.current().key.toString("base64")).toBe(key);
    expect(JSON.stringify(ring.describe())).not.toContain(key);
    expect(ring.describe()).toEqual([
      {
        id: "primary",
        current: true,
        source: "env CLAWOPS_VAULT_KEY",
        check: kekCheck(Buffer.from(key, "base64")),
        problem: null,
      },
    ]);

    const unset = KeyRing.load(vaultConfigSchema.parse({}), {});
    const error = refusal(() => unset.current());
    expect(error.code).toBe("VAULT_KEY_MISSING");
    expect(error.message).toMatch(
      /vault key "primary" is not set: set CLAWOPS_VAULT_KEY to the key that sealed its records/,
    );
    expect(error.message).toContain("openssl rand -base64 32");
    expect(unset.describe()[0]!.problem).toBe(error.message);
  });

  it("refuses a key that is not base64 of 32 bytes without printing it", () => {
    for (const bad of [randomBytes(16).toString("base64"), "x".repeat(44), "not a key"]) {
      const ring = KeyRing.load(settings([{ id: "k", env: "K" }]), { K: bad });
      const error = refusal(() => ring.current(), [bad]);
      expect(error.code).toBe("VAULT_KEY_INVALID");
      expect(error.message).toMatch(/^vault key "k" from env K is not base64 of 32 bytes/);
    }
  });

  it("reads a 0600 key file; refuses one the group or others can read, naming the path and the fix", () => {
    const key = newKey("keyring file key");
    const good = keyFile("good.key", `${key}\n`, 0o600);
    const ring = KeyRing.load(settings([{ id: "f", file: good }]), {});
    expect(ring.key("f").key.toString("base64")).toBe(key);
    expect(ring.describe()[0]!.source).toBe(`file ${good}`);

    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      const open = keyFile(`open-${mode.toString(8)}.key`, key, mode);
      const error = refusal(
        () => KeyRing.load(settings([{ id: "f", file: open }]), {}).current(),
        [key],
      );
      expect(error.code).toBe("VAULT_KEY_INVALID");
      expect(error.message).toBe(
        `vault key file ${open} can be read or written by its group or others (mode 0${mode.toString(8)}): refused; run \`chmod 600 ${open}\` (and check who could have copied it)`,
      );
    }
    const missing = path.join(dir, "absent.key");
    const error = refusal(() => KeyRing.load(settings([{ id: "f", file: missing }]), {}).current());
    expect(error.code).toBe("VAULT_KEY_MISSING");
    expect(error.message).toContain(`cannot read key file ${missing} (no such file)`);
    expect(
      refusal(() => KeyRing.load(settings([{ id: "f", file: dir }]), {}).current()).message,
    ).toBe(`vault key file ${dir} is not a regular file`);
  });

  it("prefers a set variable to the file, and never falls back to the file from a bad variable", () => {
    const [inEnv, inFile] = [newKey("keyring env key"), newKey("keyring file key 2")];
    const file = keyFile("both.key", inFile, 0o600);
    const both = settings([{ id: "b", env: "B", file }]);
    expect(KeyRing.load(both, { B: inEnv }).current().key.toString("base64")).toBe(inEnv);
    expect(KeyRing.load(both, { B: "" }).current().key.toString("base64")).toBe(inFile);
    expect(KeyRing.load(both, {}).current().key.toString("base64")).toBe(inFile);
    expect(refusal(() => KeyRing.load(both, { B: "garbage" }).current()).code).toBe(
      "VAULT_KEY_INVALID",
    );
  });

  it("keeps previous keys by id: a broken one fails only where it is needed; an unknown id is named", () => {
    const [current, old] = [newKey("keyring current"), newKey("keyring old")];
    const ring = KeyRing.load(
      settings([
        { id: "2026-11", env: "NEW" },
        { id: "2026-05", env: "OLD" },
        { id: "2025-11", env: "GONE" },
      ]),
      { NEW: current, OLD: old },
    );
    expect(ring.currentId).toBe("2026-11");
    expect(ring.key("2026-05").key.toString("base64")).toBe(old);
    expect(refusal(() => ring.key("2025-11")).code).toBe("VAULT_KEY_MISSING");
    const unknown = refusal(() => ring.key("2024-01"));
    expect(unknown.code).toBe("VAULT_KEY_UNKNOWN");
    expect(unknown.message).toBe(
      'vault key "2024-01" is not configured (configured: 2026-11, 2026-05, 2025-11); add the key that had this id to vault.keys in clawops.yaml',
    );
  });

  it("validates vault settings: ids unique, a source for each key, files relative to clawops.yaml", () => {
    const bad = resolveConfig(
      {
        vault: {
          keys: [{ id: "a", env: "A" }, { id: "a", file: "x" }, { id: "b" }, { id: "-", env: "C" }],
        },
      },
      { baseDir: "/etc/clawops" },
    );
    expect(bad.ok ? [] : bad.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "vault.keys[2]: set `env`, `file` or both: where this key's 32 bytes are",
      expect.stringMatching(/^vault\.keys\[3\]\.id: expected 1 to 64 letters/),
      'vault.keys[1].id: duplicate key id "a" (also vault.keys[0])',
    ]);
    const good = resolveConfig(
      { vault: { keys: [{ id: "a", file: "keys/a.key" }] } },
      { baseDir: "/etc/clawops" },
    );
    expect(good.ok && good.config.vault).toEqual({
      keys: [{ id: "a", file: "/etc/clawops/keys/a.key" }],
      rotateBatchSize: 100,
    });
    const defaults = resolveConfig({}, { baseDir: "/etc/clawops" });
    expect(defaults.ok && defaults.config.vault).toEqual({
      keys: [{ id: "primary", env: "CLAWOPS_VAULT_KEY" }],
      rotateBatchSize: 100,
    });
  });
});
