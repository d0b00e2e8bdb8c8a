import { describe, expect, it } from "vitest";
import { backoffDelayMs, defaultRetryPolicy, isRetryableStatus, parseRetryAfterMs } from "../../lib/embeddings/retry-policy";

describe("retry policy", () => {
  it("reads Retry-After given in seconds", () => {
    expect(parseRetryAfterMs("3")).toBe(3000);
    expect(parseRetryAfterMs("0.5")).toBe(500);
  });

  it("reads Retry-After given as an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");

    expect(parseRetryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfterMs("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
  });

  it("ignores a missing or unreadable Retry-After", () => {
    expect(parseRetryAfterMs(undefined)).toBeUndefined();
    expect(parseRetryAfterMs("soon")).toBeUndefined();
    expect(parseRetryAfterMs("-1")).toBeUndefined();
  });

  it("spreads backoff over a window that doubles up to the cap", () => {
    const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000 };

    expect(backoffDelayMs(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelayMs(3, policy, () => 0.999)).toBe(399);
    expect(backoffDelayMs(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
  });

  it("retries 408, 429 and 5xx but not other 4xx, 501 or 505", () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 413, 422, 501, 505].some(isRetryableStatus)).toBe(false);
  });
});
