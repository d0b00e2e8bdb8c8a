import { AppError } from "../errors";

/**
 * Stable codes for embedder failures. All map to 5xx statuses (so `expose` is false): they are the
 * provider's or our configuration's fault, never the end user's, and provider messages stay in logs.
 */
export type EmbedderErrorCode =
  /** The provider refused the request with a non-retryable 4xx (bad key, unknown model, …). */
  | "embedder_rejected"
  /** 429s, 5xx, network errors or timeouts outlasted every attempt, or the provider asked us to wait too long. */
  | "embedder_unavailable"
  /** The provider answered 2xx with something that is not a valid embeddings answer (garbled JSON, wrong dimension, …). */
  | "embedder_bad_response"
  /** The settings cannot make an embedder (e.g. `provider: "http"` without `baseUrl`). */
  | "embedder_misconfigured";

const statusByCode: Record<EmbedderErrorCode, number> = {
  embedder_rejected: 502,
  embedder_unavailable: 503,
  embedder_bad_response: 502,
  embedder_misconfigured: 500,
};

/** An expected embedder failure; `details` carries attempts, HTTP status, the provider's message and `retryAfterSeconds` when known. */
export class EmbedderError extends AppError {
  declare readonly code: EmbedderErrorCode;

  constructor(code: EmbedderErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, { status: statusByCode[code], ...options });
  }
}
