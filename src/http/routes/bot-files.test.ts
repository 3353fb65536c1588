import { describe, expect, it } from "vitest";
import { maskSecretKeys } from "./bot-files.js";

describe("maskSecretKeys", () => {
  it("masks every string under or inside a secret-named key, keeps ${VAR} references and numbers", () => {
    const config = {
      gateway: { port: 1, auth: { mode: "token", token: "abc123" } },
      models: { providers: { fake: { apiKey: "odd-shape", baseUrl: "http://x", maxTokens: 9 } } },
      credentials: { openai: "whatever", list: ["a"] },
      env: { OPENAI_API_KEY: "${OPENAI_API_KEY}" },
    };
    expect(maskSecretKeys(config)).toEqual({
      gateway: { port: 1, auth: { mode: "token", token: "[REDACTED]" } },
      models: {
        providers: { fake: { apiKey: "[REDACTED]", baseUrl: "http://x", maxTokens: 9 } },
      },
      credentials: { openai: "[REDACTED]", list: ["[REDACTED]"] },
      env: { OPENAI_API_KEY: "${OPENAI_API_KEY}" },
    });
  });
});
