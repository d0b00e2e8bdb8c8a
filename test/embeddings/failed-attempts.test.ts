import { describe, expect, it } from "vitest";
import { nextStepAfter } from "../../lib/embeddings/failed-attempts";
import { defaultRetryPolicy } from "../../lib/embeddings/retry-policy";

const policy = { ...defaultRetryPolicy, maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
const context = { model: "BAAI/bge-m3", origin: "https://api.deepinfra.com", batchSize: 32 };
const history = (attempts: number, more: Partial<{ badAnswers: number; shrinks: number }> = {}) => ({ attempts, badAnswers: 0, shrinks: 0, ...more });
const half = () => 0.5;

describe("deciding what to do after a failed attempt", () => {
  it("waits what Retry-After says plus less than one base delay of jitter", () => {
    const step = nextStepAfter({ kind: "transient", status: 429, reason: "HTTP 429", retryAfterMs: 2000 }, history(1), policy, context, half);

    expect(step).toEqual({ retryAfterMs: 2050, shrinkInputs: false });
  });

  it("backs off within a doubling window when the server gives no Retry-After", () => {
    const step = nextStepAfter({ kind: "transient", status: 503, reason: "HTTP 503" }, history(3), policy, context, half);

    expect(step).toEqual({ retryAfterMs: 200, shrinkInputs: false });
  });

  it("gives up once the attempts are used, saying how many and why", () => {
    const step = nextStepAfter({ kind: "transient", reason: "network error ECONNRESET: socket hang up" }, history(5), policy, context, half);

    expect("fail" in step && step.fail.message).toBe("BAAI/bge-m3 at https://api.deepinfra.com failed 5 attempts; last: network error ECONNRESET: socket hang up");
  });

  it("resends at once with shorter inputs when the server says an input is too long, at most twice", () => {
    const tooLong = { kind: "rejected", status: 400, message: "This model's maximum context length is 8192 tokens" } as const;

    expect(nextStepAfter(tooLong, history(1), policy, context, half)).toEqual({ retryAfterMs: 0, shrinkInputs: true });
    expect("fail" in nextStepAfter(tooLong, history(3, { shrinks: 2 }), policy, context, half)).toBe(true);
  });

  it("fails at once on other rejections, keeping the provider's message in the details", () => {
    const step = nextStepAfter({ kind: "rejected", status: 404, message: "model not found" }, history(1), policy, context, half);

    expect("fail" in step && step.fail.code).toBe("embedder_rejected");
    expect("fail" in step && step.fail.details).toMatchObject({ httpStatus: 404, providerMessage: "model not found", attempts: 1 });
  });
});
