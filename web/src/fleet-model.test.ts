import { describe, expect, it } from "vitest";
import type { Bot } from "../../src/core/bot.js";
import { type GatewayInstance, newInstance } from "../../src/core/gateway-state.js";
import { type FleetStatus, fleetRows, matching, verdictOf } from "./fleet-model.js";

const bot = (name: string, desiredState: Bot["desiredState"] = "running"): Bot => ({
  id: `id-${name}`,
  name,
  owner: null,
  driver: "process",
  stateDir: `/s/${name}`,
  configPath: `/s/${name}/openclaw.json`,
  port: 18789,
  desiredState,
  labels: { team: "ops" },
  org: "default",
  openclawBin: null,
  createdAt: "2026-11-30T00:00:00Z",
  updatedAt: "2026-11-30T00:00:00Z",
});
const gateway = (name: string, patch: Partial<GatewayInstance>) => ({
  ...newInstance(`id-${name}`),
  bot: name,
  ...patch,
});

describe("the fleet page's verdicts", () => {
  it("calls a bot down when it failed, crashed, backs off, or is stopped but should run", () => {
    for (const state of ["failed", "crashed", "backoff"] as const)
      expect(verdictOf(bot("a"), gateway("a", { state }))).toBe("down");
    expect(verdictOf(bot("a"), null)).toBe("down");
    expect(verdictOf(bot("a", "stopped"), null)).toBe("off");
  });

  it("never calls a running gateway that is not ready up", () => {
    expect(verdictOf(bot("a"), gateway("a", { state: "running", ready: false }))).toBe("degraded");
    expect(verdictOf(bot("a"), gateway("a", { state: "running", ready: null }))).toBe("up");
    expect(verdictOf(bot("a"), gateway("a", { state: "starting" }))).toBe("changing");
  });

  it("puts the worst first, then names in order, and filters on any field", () => {
    const status: FleetStatus = {
      daemon: { version: "0", uptimeMs: 0, store: { dialect: "sqlite" } },
      readiness: { ready: true },
      bots: [bot("zulu"), bot("alpha"), bot("mike", "stopped"), bot("kilo")],
      gateways: [
        gateway("zulu", { state: "running" }),
        gateway("alpha", { state: "running" }),
        gateway("kilo", { state: "crashed", reason: "exit 1 (EADDRINUSE)" }),
      ],
    };
    const rows = fleetRows(status);
    expect(rows.map((r) => `${r.bot.name}:${r.verdict}`)).toEqual([
      "kilo:down",
      "alpha:up",
      "zulu:up",
      "mike:off",
    ]);
    expect(matching(rows, "eaddrinuse").map((r) => r.bot.name)).toEqual(["kilo"]);
    expect(matching(rows, "TEAM=OPS")).toHaveLength(4);
    expect(matching(rows, "  ")).toHaveLength(4);
  });
});
