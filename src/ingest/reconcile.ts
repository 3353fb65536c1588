import type { Bot } from "../core/bot.js";
import type { Store } from "../store/store.js";

/** What the reconciliation of usage and cost found: data, rendered by the CLI and API. */
export interface CostFinding {
  kind: "cost_unknown" | "model_mismatch" | "spend_spike";
  bot: string;
  message: string;
  evidence: Record<string, string | number | null>;
}

export interface ReconcileOptions {
  /** The window looked at, ISO 8601 (default: the last 24 hours). */
  since?: string;
  /** A day's spend this many times the bot's daily average is a spike (default 3). */
  spikeFactor?: number;
  /** The days before the window that make the baseline (default 14). */
  baselineDays?: number;
  now?: number;
}

const DAY_MS = 86_400_000;

/**
 * Checks the usage clawops kept against what it should look like: tokens
 * with no cost (no price known for the model), sessions answered by another
 * model than the one configured (a fallback, an override), and a bot whose
 * spend in the window is far above its own daily baseline.
 */
export async function reconcileCost(
  store: Store,
  bots: readonly Bot[],
  options: ReconcileOptions = {},
): Promise<CostFinding[]> {
  const now = options.now ?? Date.now();
  const since = options.since ?? new Date(now - DAY_MS).toISOString();
  const factor = options.spikeFactor ?? 3;
  const baselineDays = options.baselineDays ?? 14;
  const findings: CostFinding[] = [];
  for (const bot of bots) {
    for (const row of await store.sessions.costBy("model", { botId: bot.id, since })) {
      const tokens = row.input + row.output + row.cacheRead + row.cacheWrite;
      if (tokens > 0 && row.costUsd === 0) {
        findings.push({
          kind: "cost_unknown",
          bot: bot.name,
          message: `${tokens} tokens of ${row.key ?? "an unnamed model"} cost $0: no price is known for it (set one under ingest.prices in clawops.yaml, or a cost in the gateway's model config)`,
          evidence: { model: row.key, tokens, messages: row.messages },
        });
      }
    }
    for (let cursor: string | null | undefined = undefined; cursor !== null;) {
      const page = await store.sessions.listSessions({ botId: bot.id, since, limit: 500, cursor });
      for (const s of page.sessions) {
        if (!s.modelConfigured || !s.modelUsed || s.modelConfigured === s.modelUsed) continue;
        findings.push({
          kind: "model_mismatch",
          bot: bot.name,
          message: `session ${s.sessionKey} is configured for ${s.modelConfigured} but was answered by ${s.modelUsed}`,
          evidence: {
            sessionId: s.sessionId,
            configured: s.modelConfigured,
            used: s.modelUsed,
          },
        });
      }
      cursor = page.nextCursor;
    }
    const spike = await spendSpike(store, bot, since, now, factor, baselineDays);
    if (spike) findings.push(spike);
  }
  return findings;
}

async function spendSpike(
  store: Store,
  bot: Bot,
  since: string,
  now: number,
  factor: number,
  baselineDays: number,
): Promise<CostFinding | null> {
  const windowDays = Math.max((now - Date.parse(since)) / DAY_MS, 1 / 24);
  const [current] = await store.sessions.costBy("bot", { botId: bot.id, since });
  const baselineSince = new Date(Date.parse(since) - baselineDays * DAY_MS).toISOString();
  const days = await store.sessions.costBy("day", {
    botId: bot.id,
    since: baselineSince,
    until: since,
  });
  // Too little history is no baseline: a new bot's first busy day is not a spike.
  if (!current || days.length < 3) return null;
  const baseline = days.reduce((sum, d) => sum + d.costUsd, 0) / baselineDays;
  const perDay = current.costUsd / windowDays;
  if (baseline <= 0 || perDay < factor * baseline) return null;
  return {
    kind: "spend_spike",
    bot: bot.name,
    message: `spend $${perDay.toFixed(2)} a day in the window is ${(perDay / baseline).toFixed(1)}× the bot's baseline of $${baseline.toFixed(2)} a day (the ${baselineDays} days before)`,
    evidence: {
      windowUsd: round(current.costUsd),
      perDayUsd: round(perDay),
      baselinePerDayUsd: round(baseline),
      factor,
    },
  };
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;
