/** A row of `GET /api/v1/cost` (src/http/records/sessions.ts `costSchema`). */
export interface CostRow {
  key: string | null;
  label: string | null;
  messages: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  costUsd: number;
}

export interface DayCost {
  day: string;
  costUsd: number;
  tokens: number;
}

/** `YYYY-MM-DD` in UTC, as the store groups days. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * One entry per UTC day of the last `days` days ending at `now`, oldest
 * first, days without messages at zero: a chart whose gaps are zeros, not
 * missing bars.
 */
export function dailySeries(rows: readonly CostRow[], days: number, now: number): DayCost[] {
  const byDay = new Map(rows.map((r) => [r.key ?? "", r]));
  const out: DayCost[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = utcDay(now - i * 86_400_000);
    const row = byDay.get(day);
    out.push({
      day,
      costUsd: row?.costUsd ?? 0,
      tokens: row ? row.input + row.output + row.cacheRead + row.cacheWrite : 0,
    });
  }
  return out;
}

/** Models by cost, most first, with their share of the total (0 to 1). */
export function modelShares(rows: readonly CostRow[]): (CostRow & { share: number })[] {
  const total = rows.reduce((sum, r) => sum + r.costUsd, 0);
  return [...rows]
    .sort((a, b) => b.costUsd - a.costUsd || b.messages - a.messages)
    .map((r) => ({ ...r, share: total > 0 ? r.costUsd / total : 0 }));
}

/** Dollars with as many decimals as small amounts need ($12.30, $0.0042). */
export function usd(amount: number): string {
  if (amount === 0) return "$0";
  return amount >= 1 ? `$${amount.toFixed(2)}` : `$${amount.toFixed(4)}`;
}
