/**
 * The longest stall of this thread's event loop while `work` runs, in ms: a
 * 1 ms ticker's longest gap, the gap to the end included (a loop blocked to
 * the end never ticks at all).
 */
export async function longestStall<T>(
  work: () => Promise<T>,
): Promise<{ result: T; longest: number }> {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    const result = await work();
    return { result, longest: Math.max(longest, performance.now() - last) };
  } finally {
    clearInterval(ticker);
  }
}
