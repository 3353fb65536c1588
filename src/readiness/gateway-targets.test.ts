import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import type { Bot } from "../core/bot.js";
import { DoctorService } from "../doctor/service.js";
import { resolveGatewayTarget } from "./gateway-targets.js";

const dir = mkdtempSync(path.join(tmpdir(), "clawops-readiness-targets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bot(name: string, gatewayConfig: string): Bot {
  const configPath = path.join(dir, `${name}.json5`);
  writeFileSync(configPath, gatewayConfig);
  return {
    name,
    port: 18789,
    configPath,
    stateDir: dir,
  } as unknown as Bot;
}

describe("the gateway check's target for a registered bot", () => {
  const config = configSchema.parse({ supervisor: { env: { ALPHA_TOKEN: "t".repeat(40) } } });
  const bots = [
    bot("alpha", "{ gateway: { auth: { token: '${ALPHA_TOKEN}' } } }"),
    bot("plain", `{ gateway: { auth: { token: "${"p".repeat(40)}" } } }`),
    bot("tokenless", "{ gateway: {} }"),
  ];
  const doctor = new DoctorService(config, () => Promise.resolve(bots));

  it("is the bot's own port with the token its config sets (a ${VAR} read from the gateway's environment)", () => {
    expect(resolveGatewayTarget(config, bots, doctor, "alpha")).toMatchObject({
      name: "alpha",
      url: "http://127.0.0.1:18789",
      token: "t".repeat(40),
    });
    expect(resolveGatewayTarget(config, bots, doctor, "plain").token).toBe("p".repeat(40));
  });

  it("refuses an unknown bot and a config without a token, saying which", () => {
    expect(() => resolveGatewayTarget(config, bots, doctor, "nope")).toThrow("no bot named nope");
    expect(() => resolveGatewayTarget(config, bots, doctor, "tokenless")).toThrow(
      /sets no gateway token clawops can read/,
    );
  });
});
