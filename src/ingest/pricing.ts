import type { calcPrice } from "@pydantic/genai-prices";
import type { CostSource, Usage } from "../core/session.js";

/** US dollars per million tokens, as OpenClaw's `models.providers.*.models[].cost` gives them. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** What a message's cost is computed from when the gateway gives none. */
export interface PriceSources {
  /** From the bot's gateway config, by `provider/model`. */
  config: ReadonlyMap<string, ModelPrice>;
  /** The operator's prices in clawops.yaml (`ingest.prices`), by `provider/model`. */
  overrides: Readonly<Record<string, ModelPrice>>;
  /** The price database, loaded on the first message that needs it. */
  database(): Promise<PriceDatabase>;
}

/** A model's cost for some usage in the price database; null when it does not know the model. */
export type PriceDatabase = (model: string, usage: Usage) => number | null;

export interface Priced {
  costUsd: number;
  source: CostSource;
}

/**
 * A message's cost: the gateway's own figure when it gave one above zero;
 * else the gateway config's price for the model (a price of all zeros is the
 * config's placeholder, not a price), then the operator's override, then
 * the price database. `none` when no source knows the model: the cost stays
 * 0 and the reconciliation reports it.
 */
export async function priceMessage(
  model: string | null,
  usage: Usage,
  sources: PriceSources,
): Promise<Priced> {
  if (usage.costUsd > 0) return { costUsd: usage.costUsd, source: "gateway" };
  const tokens = usage.input + usage.output + usage.cacheRead + usage.cacheWrite;
  if (!model || tokens === 0) return { costUsd: 0, source: tokens === 0 ? "gateway" : "none" };
  const configured = sources.config.get(model);
  if (configured && !isPlaceholder(configured))
    return { costUsd: costOf(usage, configured), source: "config" };
  const override = sources.overrides[model];
  if (override) return { costUsd: costOf(usage, override), source: "override" };
  const fromDatabase = (await sources.database())(model, usage);
  if (fromDatabase !== null) return { costUsd: fromDatabase, source: "price-db" };
  return { costUsd: 0, source: "none" };
}

/** OpenClaw's own formula: each kind of token at its rate per million. */
export function costOf(usage: Usage, price: ModelPrice): number {
  return (
    (usage.input * price.input +
      usage.output * price.output +
      usage.cacheRead * (price.cacheRead ?? price.input) +
      usage.cacheWrite * (price.cacheWrite ?? price.input)) /
    1e6
  );
}

function isPlaceholder(price: ModelPrice): boolean {
  return !price.input && !price.output && !price.cacheRead && !price.cacheWrite;
}

/** The prices a gateway config declares, by `provider/model` (`models.providers.<p>.models[]`). */
export function configPrices(config: unknown): Map<string, ModelPrice> {
  const prices = new Map<string, ModelPrice>();
  const providers = (config as { models?: { providers?: Record<string, unknown> } } | null)?.models
    ?.providers;
  for (const [provider, entry] of Object.entries(providers ?? {})) {
    const models = (entry as { models?: unknown } | null)?.models;
    if (!Array.isArray(models)) continue;
    for (const m of models as { id?: unknown; cost?: Partial<ModelPrice> }[]) {
      const cost = m.cost;
      if (typeof m.id !== "string" || !cost) continue;
      prices.set(`${provider}/${m.id}`, {
        input: Number(cost.input ?? 0),
        output: Number(cost.output ?? 0),
        cacheRead: Number(cost.cacheRead ?? 0),
        cacheWrite: Number(cost.cacheWrite ?? 0),
      });
    }
  }
  return prices;
}

type CalcPrice = typeof calcPrice;

/**
 * The price database (`@pydantic/genai-prices`, its bundled data: never
 * fetched). Loaded on first use: it is 0.8 MB of data that a fleet whose
 * gateways report their own costs never needs.
 */
export async function loadPriceDatabase(): Promise<PriceDatabase> {
  const prices = (await import("@pydantic/genai-prices")) as { calcPrice: CalcPrice };
  return (model, usage) => {
    const slash = model.indexOf("/");
    const provider = slash > 0 ? model.slice(0, slash) : undefined;
    const id = slash > 0 ? model.slice(slash + 1) : model;
    // genai-prices counts cache tokens inside the input; OpenClaw counts them apart.
    const tokens = {
      input_tokens: usage.input + usage.cacheRead + usage.cacheWrite,
      cache_read_tokens: usage.cacheRead,
      cache_write_tokens: usage.cacheWrite,
      output_tokens: usage.output,
    };
    const priced =
      (provider ? safeCalc(prices.calcPrice, tokens, id, provider) : null) ??
      safeCalc(prices.calcPrice, tokens, id, undefined);
    return priced;
  };
}

function safeCalc(
  calcPrice: CalcPrice,
  tokens: Parameters<CalcPrice>[0],
  model: string,
  providerId: string | undefined,
): number | null {
  try {
    return calcPrice(tokens, model, providerId ? { providerId } : {})?.total_price ?? null;
  } catch {
    // An unknown provider id throws in some versions: the same as no price.
    return null;
  }
}
