/**
 * Runs the functions given to it with at most `max` of them in flight; the
 * others wait, first come first served. A rejection frees its place like a
 * resolution and reaches the caller unchanged.
 */
export type Limit = <T>(work: () => Promise<T>) => Promise<T>;

/** A {@link Limit} of `max` (a whole number >= 1) at once. */
export function concurrencyLimit(max: number): Limit {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`limit must be >= 1, got ${max}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  // A place freed goes straight to the first waiter: `running` stays as it is, so a
  // caller arriving meanwhile cannot take it too.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };
  return async <T>(work: () => Promise<T>) => {
    if (running < max) running += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      release();
    }
  };
}

/**
 * Runs `work` on every item with at most `limit` running at once, started in
 * the items' order; resolves when all have settled. A rejection is `work`'s
 * to handle: one that escapes rejects the whole run after the others settled.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const run = concurrencyLimit(Math.max(1, Math.floor(limit)));
  const results = await Promise.allSettled(items.map((item) => run(() => work(item))));
  for (const result of results) if (result.status === "rejected") throw result.reason;
}
