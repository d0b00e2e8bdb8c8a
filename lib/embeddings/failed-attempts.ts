import type { AttemptOutcome } from "./embeddings-request";
import { EmbedderError } from "./errors";
import { backoffDelayMs, type RetryPolicy } from "./retry-policy";

/** Provider messages that mean "input longer than the model takes" (OpenAI, TEI, vLLM, Ollama wording). */
const INPUT_TOO_LONG = /too long|too many tokens|context length|maximum (input )?length|must have less than|exceeds|token limit|input length/i;
/** How often a batch is re-sent with halved input limits after such an answer. */
const MAX_INPUT_SHRINKS = 2;

/** What a batch has been through so far. */
export interface BatchHistory {
  /** Attempts made, the failed one included. */
  attempts: number;
  badAnswers: number;
  shrinks: number;
}

export type NextStep = { retryAfterMs: number; shrinkInputs: boolean } | { fail: EmbedderError };

/** Names the provider and the batch in error messages and details. */
export interface BatchContext {
  model: string;
  origin: string;
  batchSize: number;
}

/**
 * What to do after an attempt that did not succeed: retry (after how long, and whether to cut inputs
 * shorter first) or fail with the `EmbedderError` the caller will see. `history` counts this attempt.
 */
export function nextStepAfter(
  outcome: Exclude<AttemptOutcome, { kind: "ok" }>,
  history: BatchHistory,
  policy: RetryPolicy,
  context: BatchContext,
  random: () => number,
): NextStep {
  const where = `${context.model} at ${context.origin}`;
  const details = { attempts: history.attempts, batchSize: context.batchSize, model: context.model, origin: context.origin };
  const attemptsLeft = history.attempts < policy.maxAttempts;

  if (outcome.kind === "rejected") {
    if (INPUT_TOO_LONG.test(outcome.message) && history.shrinks < MAX_INPUT_SHRINKS && attemptsLeft) {
      // Our length estimate was too generous for this server or model: cut harder and resend at once.
      return { retryAfterMs: 0, shrinkInputs: true };
    }
    const message = `embedding request rejected by ${where}: HTTP ${outcome.status}: ${outcome.message}`;
    return { fail: new EmbedderError("embedder_rejected", message, { details: { ...details, httpStatus: outcome.status, providerMessage: outcome.message } }) };
  }

  if (outcome.kind === "bad-answer") {
    // A garbled answer is usually a proxy's doing and passes; a repeated one is the server's, so give up soon.
    if (history.badAnswers > policy.maxBadResponseRetries || !attemptsLeft) {
      const message = `invalid embeddings answer from ${where} (${history.attempts} attempts): ${outcome.reason}`;
      return { fail: new EmbedderError("embedder_bad_response", message, { details: { ...details, reason: outcome.reason } }) };
    }
    return { retryAfterMs: backoffDelayMs(history.attempts, policy, random), shrinkInputs: false };
  }

  const retryDetails = { ...details, httpStatus: outcome.status, reason: outcome.reason };
  if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > policy.maxRetryAfterMs) {
    const retryAfterSeconds = Math.ceil(outcome.retryAfterMs / 1000);
    const message = `${where} asked to retry after ${retryAfterSeconds} s, longer than we wait: ${outcome.reason}`;
    return { fail: new EmbedderError("embedder_unavailable", message, { details: { ...retryDetails, retryAfterSeconds } }) };
  }
  if (!attemptsLeft) {
    const message = `${where} failed ${history.attempts} attempts; last: ${outcome.reason}`;
    return { fail: new EmbedderError("embedder_unavailable", message, { details: retryDetails }) };
  }
  // Retry-After is a floor; a little jitter on top keeps workers told the same moment from returning together.
  const retryAfterMs = outcome.retryAfterMs !== undefined
    ? outcome.retryAfterMs + Math.floor(random() * policy.baseDelayMs)
    : backoffDelayMs(history.attempts, policy, random);
  return { retryAfterMs, shrinkInputs: false };
}
