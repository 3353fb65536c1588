import path from "node:path";
import type { Bot } from "../../src/core/bot.js";
import type { EventBus } from "../../src/events/bus.js";
import type { ModelPrice } from "../../src/ingest/pricing.js";
import { loadPriceDatabase } from "../../src/ingest/pricing.js";
import { StoreSink } from "../../src/ingest/store-sink.js";
import type { Store } from "../../src/store/store.js";
import type { TestGateway } from "../harness/gateway.js";

/** Registers a harness gateway in `store` as an adopted bot, the way `clawops bot add` would. */
export function registerGateway(
  store: Store,
  gateway: TestGateway,
  name: string,
  owner: string | null = null,
): Promise<Bot> {
  return store.createBot({
    name,
    owner,
    driver: "adopted",
    stateDir: path.join(gateway.dir, "state"),
    configPath: path.join(gateway.dir, "openclaw.json"),
    port: gateway.port,
    desiredState: "running",
    labels: {},
    openclawBin: null,
  });
}

/** The daemon's sink for one bot: the store, the bus, and prices from `overrides` and the database. */
export function storeSink(
  store: Store,
  bus: EventBus,
  bot: Bot,
  overrides: Record<string, ModelPrice> = {},
): StoreSink {
  return new StoreSink({
    store,
    bus,
    bot,
    configPrices: new Map(),
    overrides,
    loadDatabase: loadPriceDatabase,
  });
}
