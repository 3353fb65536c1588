import { describe, expect, it } from "vitest";
import { EMPTY_USAGE, type Usage } from "../core/session.js";
import {
  type PriceSources,
  configPrices,
  costOf,
  loadPriceDatabase,
  priceMessage,
} from "./pricing.js";

const usage = (u: Partial<Usage>): Usage => ({ ...EMPTY_USAGE, ...u });
const MILLION = usage({ input: 1_000_000, output: 1_000_000 });

function sources(extra: Partial<PriceSources> = {}): PriceSources {
  return {
    config: new Map(),
    overrides: {},
    database: () => Promise.resolve(() => null),
    ...extra,
  };
}

describe("priceMessage", () => {
  it("takes the gateway's own cost first", async () => {
    expect(await priceMessage("a/b", usage({ input: 10, costUsd: 0.5 }), sources())).toEqual({
      costUsd: 0.5,
      source: "gateway",
    });
  });

  it("then the config's price, skipping its all-zero placeholder, then the override, then the database", async () => {
    const config = new Map([
      ["acme/big", { input: 3, output: 15 }],
      ["local/free", { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }],
    ]);
    const all = sources({
      config,
      overrides: { "local/free": { input: 1, output: 1 }, "x/y": { input: 2, output: 2 } },
      database: () => Promise.resolve((model) => (model === "openai/gpt-4o" ? 12.5 : null)),
    });
    expect(await priceMessage("acme/big", MILLION, all)).toEqual({ costUsd: 18, source: "config" });
    expect(await priceMessage("local/free", MILLION, all)).toEqual({
      costUsd: 2,
      source: "override",
    });
    expect(await priceMessage("openai/gpt-4o", MILLION, all)).toEqual({
      costUsd: 12.5,
      source: "price-db",
    });
    expect(await priceMessage("nobody/knows", MILLION, all)).toEqual({
      costUsd: 0,
      source: "none",
    });
    expect(await priceMessage(null, MILLION, all)).toEqual({ costUsd: 0, source: "none" });
  });

  it("prices cache tokens at their own rates, or the input rate when the config has none", () => {
    const u = usage({ input: 1e6, output: 1e6, cacheRead: 1e6, cacheWrite: 1e6 });
    expect(costOf(u, { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 })).toBeCloseTo(
      22.05,
    );
    expect(costOf(u, { input: 1, output: 2 })).toBe(5);
  });
});

describe("configPrices", () => {
  it("reads models.providers.*.models[].cost by provider/model, ignoring what is not a model", () => {
    const prices = configPrices({
      models: {
        providers: {
          acme: { models: [{ id: "big", cost: { input: 3, output: 15 } }, { id: "nocost" }] },
          broken: { models: "nope" },
        },
      },
    });
    expect([...prices.entries()]).toEqual([
      ["acme/big", { input: 3, output: 15, cacheRead: 0, cacheWrite: 0 }],
    ]);
    expect(configPrices(null).size).toBe(0);
  });
});

describe("the price database (@pydantic/genai-prices, bundled data, offline)", () => {
  it("knows current models by provider/model and says null for one it does not know", async () => {
    const database = await loadPriceDatabase();
    expect(database("anthropic/claude-opus-4-6", MILLION)).toBeCloseTo(30);
    expect(database("openai/gpt-4o", MILLION)).toBeCloseTo(12.5);
    // Cache reads are cheaper than input: a cached prompt costs less than an uncached one.
    const cached = database("anthropic/claude-opus-4-6", usage({ cacheRead: 1_000_000 }))!;
    expect(cached).toBeGreaterThan(0);
    expect(cached).toBeLessThan(database("anthropic/claude-opus-4-6", usage({ input: 1e6 }))!);
    expect(database("fake/fake-model", MILLION)).toBeNull();
  });
});
