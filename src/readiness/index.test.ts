import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { READINESS_CHECKS } from "./index.js";

const CHECKS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "checks");

describe("the readiness check registry", () => {
  it("registers every file of checks/ once, each id once", () => {
    const files = readdirSync(CHECKS_DIR)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .map((f) => f.replace(/\.ts$/, ""));
    expect(READINESS_CHECKS.map((c) => c.id).sort()).toEqual(files.sort());
    expect(new Set(READINESS_CHECKS.map((c) => c.id)).size).toBe(READINESS_CHECKS.length);
  });

  it("gives each check a strict schema with its defaults and a title", () => {
    const minimal: Record<string, Record<string, unknown>> = {
      postgres: {},
      redis: {},
      prometheus: { url: "http://127.0.0.1:9090" },
      tls: { url: "https://example.com" },
      stt: { url: "http://127.0.0.1:8000/v1" },
      tts: { url: "http://127.0.0.1:8000/v1" },
      "webrtc-signalling": { url: "ws://127.0.0.1:8443/" },
    };
    for (const check of READINESS_CHECKS) {
      expect(check.title, check.id).not.toBe("");
      const parsed = check.schema.parse({ check: check.id, ...minimal[check.id] });
      expect(parsed.weight, check.id).toBeGreaterThan(0);
      expect(parsed.timeout, check.id).toBeGreaterThan(0);
      // .strict(): a misspelt key is an error, not silently ignored.
      expect(
        check.schema.safeParse({ check: check.id, ...minimal[check.id], wieght: 2 }).success,
        check.id,
      ).toBe(false);
    }
  });

  it("takes components in clawops.yaml, and names the path of a bad one", () => {
    const config = configSchema.parse({
      readiness: {
        components: [
          { check: "redis", url: "redis://127.0.0.1:6379" },
          { check: "stt", url: "http://127.0.0.1:8000/v1", maxMs: "2.5s", apiKeyEnv: "STT_KEY" },
        ],
      },
    });
    expect(config.readiness.builtins).toBe(true);
    expect(config.readiness.components[1]).toMatchObject({ check: "stt", maxMs: 2_500, weight: 1 });
    const bad = configSchema.safeParse({
      readiness: { components: [{ check: "tls", url: "https://x", warnDays: "soon" }] },
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(["readiness", "components", 0, "warnDays"]);
    const unknown = configSchema.safeParse({ readiness: { components: [{ check: "kafka" }] } });
    expect(unknown.error!.issues[0]!.path).toEqual(["readiness", "components", 0, "check"]);
  });
});
