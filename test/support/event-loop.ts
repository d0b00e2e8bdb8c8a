/**
 * Times how long `work` takes and the longest this thread's event loop went without running a timer
 * meanwhile (a timer every `everyMs`): work that holds the thread shows as a gap as long as it held it.
 */
export async function timeLoopStalls<T>(everyMs: number, work: () => Promise<T>): Promise<{ result: T; took: number; longestGap: number }> {
  let last = performance.now();
  let longestGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, everyMs);
  const started = performance.now();
  try {
    const result = await work();
    return { result, took: performance.now() - started, longestGap };
  } finally {
    clearInterval(ticker);
  }
}
