import { describe, expect, it } from "vitest";
import type { Bot } from "../../src/core/bot.js";
import { type GatewayInstance, newInstance } from "../../src/core/gateway-state.js";
import type { BotHealth } from "../../src/fleet/health.js";
import {
  type FleetStatus,
  fleetRows,
  matching,
  sortRows,
  sparkline,
  verdictOf,
} from "./fleet-model.js";

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

const health = (bot: string, patch: Partial<BotHealth>): BotHealth => ({
  bot,
  host: null,
  score: 100,
  uptime: 1,
  restarts: 0,
  crashes: 0,
  messages: 0,
  errors: 0,
  errorRate: null,
  repairs: 0,
  openRepairs: 0,
  costTodayUsd: 0,
  rssSamples: [],
  ...patch,
});

describe("the fleet table's health columns", () => {
  const status: FleetStatus = {
    daemon: { version: "0", uptimeMs: 0, store: { dialect: "postgres" } },
    readiness: { ready: true },
    bots: [bot("ant"), bot("bee"), bot("cat"), { ...bot("dog"), host: "far" }],
    gateways: ["ant", "bee", "cat", "dog"].map((n) => gateway(n, { state: "running" })),
    hosts: [
      { id: "near", reachable: true },
      { id: "far", reachable: false },
    ],
    fleet: [{ bot: "dog", host: "far", state: "host unreachable" }],
  };
  const rows = fleetRows(status, {
    window: "24h",
    since: "",
    generatedAt: "",
    truncated: false,
    bots: [
      health("ant", { score: 97, restarts: 1, costTodayUsd: 0.2 }),
      health("bee", { score: 60, restarts: 4, openRepairs: 1 }),
      health("cat", { score: null, uptime: null, costTodayUsd: 1.5 }),
    ],
  });

  it("calls a bot whose host stopped reporting down, whatever its last state said", () => {
    expect(rows.map((r) => `${r.bot.name}:${r.verdict}`)).toEqual([
      "dog:down",
      "bee:up",
      "ant:up",
      "cat:up",
    ]);
    expect(rows[0]!.hostLost).toBe(true);
    expect(matching(rows, "far").map((r) => r.bot.name)).toEqual(["dog"]);
  });

  it("sorts by any figure worst first, without the figure last, and the other way round", () => {
    const names = (key: Parameters<typeof sortRows>[1], reverse = false) =>
      sortRows(rows, key, reverse).map((r) => r.bot.name);
    expect(names("health")).toEqual(["bee", "ant", "cat", "dog"]);
    expect(names("restarts")).toEqual(["bee", "ant", "cat", "dog"]);
    expect(names("cost")).toEqual(["cat", "ant", "bee", "dog"]);
    expect(names("repairs")).toEqual(["bee", "ant", "cat", "dog"]);
    expect(names("name", true)).toEqual(["dog", "cat", "bee", "ant"]);
  });

  it("draws memory readings lowest at the bottom, and nothing from fewer than two", () => {
    expect(sparkline([10, 30, 20], 10, 12)).toBe("0,11 5,1 10,6");
    expect(sparkline([5, 5], 10, 12)).toBe("0,11 10,11");
    expect(sparkline([7], 10, 12)).toBe("");
  });
});
