import { describe, expect, it } from "vitest";
import { OpsError } from "../core/errors.js";
import { parseBotInput, resolveFreePort, resolveNewBot } from "./registry.js";

describe("resolveFreePort", () => {
  it("starts at the base and keeps every bot at least `spacing` apart", () => {
    expect(resolveFreePort([], 18789, 20)).toBe(18789);
    expect(resolveFreePort([18789], 18789, 20)).toBe(18809);
    expect(resolveFreePort([18789, 18809], 18789, 20)).toBe(18829);
    // A hand-picked port between grid points blocks both neighbours that are too close.
    expect(resolveFreePort([18800], 18789, 20)).toBe(18829);
    expect(resolveFreePort([18809], 18789, 20)).toBe(18789);
  });

  it("fails when the range is exhausted", () => {
    expect(() => resolveFreePort([65500, 65530], 65500, 30)).toThrow(/no free port left/);
  });
});

describe("bot input", () => {
  it("names each bad field", () => {
    let error: unknown;
    try {
      parseBotInput({ name: "Bad Name", port: 80, driver: "docker", colour: "red" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OpsError);
    const paths = (error as OpsError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(["colour", "driver", "name", "port"]);
    expect((error as OpsError).message).toContain("port: expected a number from 1024 to 65535");
  });

  it("fills defaults under the data dir", () => {
    const input = parseBotInput({ name: "demo" });
    const bot = resolveNewBot(input, [], {
      dataDir: "/var/lib/clawops",
      portBase: 18789,
      portSpacing: 20,
    });
    expect(bot).toEqual({
      name: "demo",
      owner: null,
      driver: "process",
      stateDir: "/var/lib/clawops/bots/demo",
      configPath: "/var/lib/clawops/bots/demo/openclaw.json",
      port: 18789,
      desiredState: "stopped",
      labels: {},
      openclawBin: null,
      org: "default",
    });
  });
});
