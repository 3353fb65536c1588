import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bot } from "../core/bot.js";
import { EMPTY_USAGE } from "../core/session.js";
import { message, session } from "../store/session-store.contract.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { reconcileCost } from "./reconcile.js";

const NOW = Date.parse("2026-11-30T12:00:00.000Z");
const DAY = 86_400_000;
const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const usage = (costUsd: number) => ({ ...EMPTY_USAGE, input: 1_000, output: 100, costUsd });

describe("reconcileCost", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "clawops-reconcile-"));
  let store: Store;
  let steady: Bot;
  let spiky: Bot;

  beforeAll(async () => {
    store = openSqliteStore(path.join(dir, "clawops.db"));
    await store.migrate();
    const bot = (name: string, port: number) =>
      store.createBot({
        name,
        owner: null,
        driver: "process",
        stateDir: path.join(dir, name),
        configPath: path.join(dir, name, "openclaw.json"),
        port,
        desiredState: "stopped",
        labels: {},
        openclawBin: null,
      });
    steady = await bot("steady", 21_001);
    spiky = await bot("spiky", 21_002);
    // Two weeks of $1 a day for both, then today: steady $1, spiky $10.
    for (const [b, today] of [
      [steady, 1],
      [spiky, 10],
    ] as const) {
      await store.sessions.saveSessions([
        session(b.id, `${b.name}-s`, {
          botName: b.name,
          modelConfigured: "acme/big",
          lastActivityAt: at(3_600_000),
        }),
      ]);
      const history = Array.from({ length: 14 }, (_, i) =>
        message(b.id, `${b.name}-s`, i + 1, {
          role: "assistant",
          usage: usage(1),
          costSource: "gateway",
          model: "acme/big",
          at: at((i + 2) * DAY),
        }),
      );
      await store.sessions.addMessages([
        ...history,
        message(b.id, `${b.name}-s`, 20, {
          role: "assistant",
          usage: usage(today),
          costSource: "gateway",
          // The answer's model becomes the session's model used.
          model: b === spiky ? "acme/fallback" : "acme/big",
          at: at(3_600_000),
        }),
      ]);
    }
    // Tokens of a model nobody prices, in a session configured for it.
    await store.sessions.saveSessions([
      session(steady.id, "steady-m", {
        botName: "steady",
        modelConfigured: "local/mystery",
        lastActivityAt: at(1_800_000),
      }),
    ]);
    await store.sessions.addMessages([
      message(steady.id, "steady-m", 1, {
        role: "assistant",
        usage: usage(0),
        costSource: "none",
        model: "local/mystery",
        at: at(1_800_000),
      }),
    ]);
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds tokens without a price, a model that is not the configured one, and a spend spike", async () => {
    const findings = await reconcileCost(store, [steady, spiky], { now: NOW });
    expect(findings.map((f) => [f.kind, f.bot])).toEqual([
      ["cost_unknown", "steady"],
      ["model_mismatch", "spiky"],
      ["spend_spike", "spiky"],
    ]);
    expect(findings[0]).toMatchObject({
      evidence: { model: "local/mystery", tokens: 1_100, messages: 1 },
    });
    expect(findings[0]!.message).toContain("ingest.prices");
    expect(findings[1]!.message).toBe(
      "session agent:main:main is configured for acme/big but was answered by acme/fallback",
    );
    expect(findings[2]).toMatchObject({ evidence: { perDayUsd: 10, baselinePerDayUsd: 1 } });
  });

  it("finds nothing in a window without usage, and no spike without a baseline", async () => {
    expect(await reconcileCost(store, [steady, spiky], { now: NOW, since: at(60_000) })).toEqual(
      [],
    );
    expect(
      (await reconcileCost(store, [spiky], { now: NOW, baselineDays: 1 })).map((f) => f.kind),
    ).not.toContain("spend_spike");
  });
});
