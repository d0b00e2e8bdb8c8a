import type { IncomingHttpHeaders } from "node:http";
import { AnswerTooLarge, readAnswer, type AnswerBuffers } from "./answer-reader";
import { bytesToText, decodeEmbeddingsAnswer, InvalidEmbeddingsAnswer, providerErrorMessage } from "./embeddings-response";
import type { EmbeddingsTransport } from "./http-transport";
import { isRetryableStatus, parseRetryAfterMs } from "./retry-policy";

/** Where and how to send one `POST …/embeddings`. */
export interface EmbeddingsEndpoint {
  transport: EmbeddingsTransport;
  origin: string;
  /** Path of the embeddings route, query included, e.g. `/v1/openai/embeddings`. */
  path: string;
  model: string;
  apiKey?: string;
  dim: number;
  timeoutMs: number;
  /** Answers longer than this are not read to the end (an embeddings answer is well under 1 MB). */
  maxAnswerBytes: number;
  /** Receive buffers reused by this endpoint's requests. */
  answerBuffers: AnswerBuffers;
}

/** What one attempt came to; the caller decides whether to try again. */
export type AttemptOutcome =
  | { kind: "ok"; vectors: Float32Array[] }
  /** 408/429/5xx, network error or timeout: worth another try, after `retryAfterMs` when the server said so. */
  | { kind: "transient"; reason: string; status?: number; retryAfterMs?: number }
  /** 2xx, but not a valid answer for what we sent. */
  | { kind: "bad-answer"; reason: string }
  /** A 4xx that another try will not fix (bad key, unknown model, input rejected). */
  | { kind: "rejected"; status: number; message: string };

/**
 * The routes of the OpenAI embeddings API under a base URL, which may or may not end in `/`:
 * `https://api.deepinfra.com/v1/openai` → origin `https://api.deepinfra.com`, path `/v1/openai/embeddings`.
 */
export function embeddingsRoute(baseUrl: string): { origin: string; path: string } {
  const url = new URL(baseUrl);
  return { origin: url.origin, path: `${url.pathname.replace(/\/+$/, "")}/embeddings${url.search}` };
}

class AttemptTimedOut extends Error {}

/** When parts of one attempt happened (`performance.now()`), filled in as the attempt goes. */
export interface AttemptClock {
  /** When the answer's status and headers arrived; 0 when none did. */
  headersAt: number;
}

/**
 * Sends one batch once. `signal` is the caller's: its abort rejects with its reason. The attempt's own
 * timeout covers the whole exchange (connect, headers and body), so a server that sends headers and
 * then stalls is caught too.
 */
export async function requestEmbeddings(endpoint: EmbeddingsEndpoint, inputs: string[], signal: AbortSignal, clock?: AttemptClock): Promise<AttemptOutcome> {
  signal.throwIfAborted();
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new AttemptTimedOut()), endpoint.timeoutMs);
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
  try {
    const response = await send(endpoint, inputs, headers, controller.signal);
    if (clock) clock.headersAt = performance.now();
    const answer = await readAnswer(response.body, endpoint.answerBuffers, endpoint.maxAnswerBytes, response.contentLength);
    // Decoding copies what it keeps (vectors, messages), so the buffer can go back as soon as it is done.
    try {
      return classifyAnswer(response.statusCode, response.headers, answer.bytes, inputs.length, endpoint.dim);
    } finally {
      answer.release();
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (error instanceof AnswerTooLarge) return { kind: "bad-answer", reason: error.message };
    if (controller.signal.reason instanceof AttemptTimedOut) {
      return { kind: "transient", reason: `no complete answer within ${endpoint.timeoutMs} ms` };
    }
    const code = (error as { code?: string }).code;
    // Our own misuse of the HTTP client (a header it refuses, say) is a bug, not a network hiccup.
    if (code === "UND_ERR_INVALID_ARG" || code?.startsWith("ERR_INVALID_")) throw error;
    return { kind: "transient", reason: `network error${code ? ` ${code}` : ""}: ${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Encodes and sends the request. Not inside `requestEmbeddings`: an async function keeps its registers
 * across an `await`, and the body there (~65 KB for 32 chat exchanges) stayed alive until the answer
 * came, to be copied by young-generation GCs and promoted, once per request in flight.
 */
function send(endpoint: EmbeddingsEndpoint, inputs: string[], headers: Record<string, string>, signal: AbortSignal) {
  return endpoint.transport.post(endpoint.path, headers, JSON.stringify({ model: endpoint.model, input: inputs, encoding_format: "base64" }), signal);
}

function classifyAnswer(status: number, headers: IncomingHttpHeaders, body: Buffer, inputCount: number, dim: number): AttemptOutcome {
  if (status >= 200 && status < 300) {
    try {
      return { kind: "ok", vectors: decodeEmbeddingsAnswer(body, inputCount, dim) };
    } catch (error) {
      if (error instanceof InvalidEmbeddingsAnswer) return { kind: "bad-answer", reason: error.message };
      throw error;
    }
  }
  if (isRetryableStatus(status)) {
    return {
      kind: "transient",
      status,
      reason: `HTTP ${status}: ${providerErrorMessage(bytesToText(body))}`,
      retryAfterMs: parseRetryAfterMs(headers["retry-after"]),
    };
  }
  return { kind: "rejected", status, message: providerErrorMessage(bytesToText(body)) };
}
