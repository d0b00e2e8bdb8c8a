/** How the HTTP embedder retries: bounded attempts, full-jitter exponential backoff, `Retry-After` honoured. */
export interface RetryPolicy {
  /** Attempts per batch, the first included. */
  maxAttempts: number;
  /** Backoff before retry n (1-based) is uniform in [0, min(maxDelayMs, baseDelayMs × 2^(n−1))]. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * Longest `Retry-After` we wait out. A provider asking for longer fails the batch at once (with
   * `retryAfterSeconds` in the error's details) so the queue can redeliver it later, instead of a worker
   * sleeping through its Lambda timeout.
   */
  maxRetryAfterMs: number;
  /** Answers that are not valid embeddings (garbled JSON, wrong dimension) are retried at most this often. */
  maxBadResponseRetries: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 60_000,
  maxBadResponseRetries: 2,
};

/**
 * Statuses worth another try: 408 and 429 (the provider's concurrency limit), and 5xx (overload,
 * restarts, gateway trouble). 501 and 505 say the server will never do it, so they are not retried.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * Full-jitter exponential backoff ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015):
 * spreading retries uniformly over the window keeps 200 workers that hit a 429 together from
 * coming back together.
 */
export function backoffDelayMs(retryNumber: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Milliseconds a `Retry-After` header asks us to wait: delay-seconds (fractions tolerated) or an
 * HTTP-date (RFC 9110 §10.2.3). Undefined when absent or unreadable; a date in the past means 0.
 */
export function parseRetryAfterMs(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (trimmed === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP-date always names a month; without this, Date.parse would read "-1" as the year 1 BC.
  if (!/[a-z]{3}/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
