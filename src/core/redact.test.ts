import { describe, expect, it } from "vitest";
import { createRedactor, redactDeep, secretsInConfig, secretsInEnv } from "./redact.js";

describe("secret redaction", () => {
  const token = "t".repeat(48);
  const redact = createRedactor([token, "hunter2-long", null, "abc"]);

  it("masks known secrets and secret-shaped strings, and leaves the rest", () => {
    const line = `auth ${token} with key sk-abcdefgh12345678 and Bearer eyJhbGciOi.x.y; password=hunter2-long; bot 123456789:AAEhBOweik9ai2o4cHd3ZGFzZGFzZGFzZGFzZA ok`;
    const out = redact(line);
    expect(out).not.toContain(token);
    expect(out).not.toContain("sk-abcdefgh12345678");
    expect(out).not.toContain("eyJhbGciOi");
    expect(out).not.toContain("hunter2-long");
    expect(out).not.toContain("AAEhBOweik9ai2o4");
    expect(out).toContain("auth [REDACTED]");
    // Short known values would mask ordinary words: they are not used.
    expect(redact("abc is fine")).toBe("abc is fine");
  });

  it("masks inside JSON, keys kept", () => {
    const value = redactDeep({ gateway: { auth: { token } }, list: [`x ${token}`], n: 3 }, redact);
    expect(value).toEqual({
      gateway: { auth: { token: "[REDACTED]" } },
      list: ["x [REDACTED]"],
      n: 3,
    });
    expect(redact('{"apiKey": "abcdef123"}')).toBe('{"apiKey": "[REDACTED]"}');
  });

  it("finds the secrets of a config and an environment by their names", () => {
    expect(
      secretsInConfig({
        models: { providers: { a: { apiKey: "k1", baseUrl: "u" } } },
        gateway: { auth: { token: "k2" } },
      }),
    ).toEqual(["k1", "k2"]);
    expect(secretsInEnv({ OPENAI_API_KEY: "v1", PATH: "/bin", BOT_TOKEN: "v2" })).toEqual([
      "v1",
      "v2",
    ]);
  });
});
