import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/cli.js";
import { rejection } from "../../test/helpers/refusal.js";
import { registerSecret } from "../../test/helpers/witness.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { vaultConfigSchema } from "../vault/settings.js";
import { Vault } from "../vault/vault.js";
import {
  VAULT_SECRETS_PROVIDER,
  checkRecordsExist,
  findVaultReferences,
  openRecords,
  secretsFileText,
  withVaultReferences,
} from "./vault-refs.js";

const KEY = registerSecret(randomBytes(32).toString("base64"), "vault-refs test key");
const OTHER_KEY = registerSecret(randomBytes(32).toString("base64"), "vault-refs other key");
const TOKEN = registerSecret(`123456:${randomBytes(16).toString("hex")}`, "vault-refs token");

const template = () => ({
  gateway: { auth: { mode: "token", token: "{{vault:gw/demo}}" } },
  models: { providers: { local: { baseUrl: "http://x/v1", apiKey: "{{ vault:llm/local }}" } } },
  channels: {
    telegram: { botToken: "{{vault:bot/demo/telegram}}", allowFrom: ["a", "{{vault:x/y}}"] },
  },
});

describe("vault references in templates", () => {
  it("finds whole-value references: a provider's key, everything else for the secrets file", () => {
    expect(findVaultReferences(template())).toEqual([
      {
        path: ["gateway", "auth", "token"],
        name: "gw/demo",
        target: { kind: "secrets-file", pointer: "/gw~1demo" },
      },
      {
        path: ["models", "providers", "local", "apiKey"],
        name: "llm/local",
        target: { kind: "provider-key", provider: "local" },
      },
      {
        path: ["channels", "telegram", "botToken"],
        name: "bot/demo/telegram",
        target: { kind: "secrets-file", pointer: "/bot~1demo~1telegram" },
      },
      {
        path: ["channels", "telegram", "allowFrom", 1],
        name: "x/y",
        target: { kind: "secrets-file", pointer: "/x~1y" },
      },
    ]);
  });

  it("refuses a reference inside a longer string, and a bad record name", () => {
    expect(() => findVaultReferences({ a: { b: "Bearer {{vault:x}}" } })).toThrow(
      expect.objectContaining({
        code: "VALIDATION",
        message: expect.stringContaining(
          "a.b: a vault reference must be the whole value",
        ) as string,
      }),
    );
    expect(() => findVaultReferences({ a: "{{vault:Upper/Case}}" })).toThrow(
      /a: vault record name must be 1 to 200 characters.*got "Upper\/Case"/,
    );
  });

  it("writes refs, never values, into the config: the provider key left out, the rest as file SecretRefs", () => {
    const config = template();
    const refs = findVaultReferences(config);
    const written = withVaultReferences(config, refs, "/srv/bots/demo");
    expect(written).toEqual({
      gateway: {
        auth: {
          mode: "token",
          token: { source: "file", provider: VAULT_SECRETS_PROVIDER, id: "/gw~1demo" },
        },
      },
      models: { providers: { local: { baseUrl: "http://x/v1" } } },
      channels: {
        telegram: {
          botToken: {
            source: "file",
            provider: VAULT_SECRETS_PROVIDER,
            id: "/bot~1demo~1telegram",
          },
          allowFrom: ["a", { source: "file", provider: VAULT_SECRETS_PROVIDER, id: "/x~1y" }],
        },
      },
      secrets: {
        providers: {
          [VAULT_SECRETS_PROVIDER]: {
            source: "file",
            path: "/srv/bots/demo/vault-secrets.json",
            mode: "json",
          },
        },
      },
    });
    // The template itself is left as it was.
    expect(config.gateway.auth.token).toBe("{{vault:gw/demo}}");
    expect(() =>
      withVaultReferences(
        { ...config, secrets: { providers: { [VAULT_SECRETS_PROVIDER]: {} } } },
        refs,
        "/x",
      ),
    ).toThrow(/secrets\.providers\.clawops-vault is clawops's/);
    expect(JSON.parse(secretsFileText(new Map([["bot/demo/telegram", TOKEN]])))).toEqual({
      "bot/demo/telegram": TOKEN,
    });
  });

  describe("records", () => {
    const scratch = tempDir("clawops-vault-refs-");
    let store: Store;
    const vault = (key = KEY) =>
      Vault.open(store.vault, vaultConfigSchema.parse({ keys: [{ id: "k", env: "K" }] }), {
        K: key,
      });
    beforeAll(async () => {
      store = openSqliteStore(`${scratch.dir}/clawops.db`);
      await store.migrate();
      await vault().put("bot/demo/telegram", TOKEN);
    });
    afterAll(async () => {
      await store.close();
      scratch.remove();
    });

    it("checks names without decrypting, then opens each record once", async () => {
      await checkRecordsExist(vault(OTHER_KEY), [{ name: "bot/demo/telegram", usedAt: "x" }]);
      const missing = await rejection(
        checkRecordsExist(vault(), [{ name: "nope/1", usedAt: "channels.telegram.botToken" }]),
        [TOKEN, KEY],
      );
      expect(missing).toMatchObject({
        code: "VALIDATION",
        message:
          'vault record "nope/1" (for channels.telegram.botToken) does not exist: put it with clawops vault put nope/1 (the value on stdin); nothing was written',
      });
      const values = await openRecords(vault(), ["bot/demo/telegram", "bot/demo/telegram"]);
      expect([...values]).toEqual([["bot/demo/telegram", TOKEN]]);
    });

    it("names the record when its key is wrong, missing or it was tampered with", async () => {
      const wrong = await rejection(openRecords(vault(OTHER_KEY), ["bot/demo/telegram"]), [
        TOKEN,
        KEY,
        OTHER_KEY,
      ]);
      expect(wrong).toMatchObject({
        code: "VAULT_KEY_WRONG",
        details: { name: "bot/demo/telegram" },
      });
      expect(wrong.message).toMatch(
        /^vault record "bot\/demo\/telegram": .*; nothing was written$/,
      );
      const unset = await rejection(openRecords(vault(""), ["bot/demo/telegram"]), [TOKEN, KEY]);
      expect(unset.code).toBe("VAULT_KEY_MISSING");
      expect(unset.message).toMatch(/^vault record "bot\/demo\/telegram": vault key "k"/);

      const sealed = (await store.vault.get("bot/demo/telegram"))!;
      sealed.ciphertext[0] = (sealed.ciphertext[0] ?? 0) ^ 1;
      await store.vault.put({ ...sealed, name: "bot/demo/tampered" });
      const tampered = await rejection(openRecords(vault(), ["bot/demo/tampered"]), [TOKEN, KEY]);
      expect(tampered.code).toBe("VAULT_TAMPERED");
      expect(tampered.message).toMatch(/^vault record "bot\/demo\/tampered" was refused/);
    });
  });
});
