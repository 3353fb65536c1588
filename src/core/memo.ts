/**
 * `load(key)` at most once per `ms` per key: callers within that time share
 * the answer (or the load in flight). A failed load is not kept.
 */
export function memoFor<T>(
  ms: number,
  load: (key: string) => Promise<T>,
  now: () => number = Date.now,
): (key: string) => Promise<T> {
  const kept = new Map<string, { at: number; value: Promise<T> }>();
  return (key) => {
    const t = now();
    const hit = kept.get(key);
    if (hit && t - hit.at < ms) return hit.value;
    // Expired answers of keys nobody asks for again go too.
    for (const [k, v] of kept) if (t - v.at >= ms) kept.delete(k);
    const value = load(key);
    kept.set(key, { at: t, value });
    value.catch(() => {
      if (kept.get(key)?.value === value) kept.delete(key);
    });
    return value;
  };
}
