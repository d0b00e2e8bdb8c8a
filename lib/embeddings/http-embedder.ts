import PQueue from "p-queue";
import type { Dispatcher } from "undici";
import { requestEmbeddings, embeddingsRoute, type AttemptOutcome, type EmbeddingsEndpoint } from "./embeddings-request";
import { EmbedderError } from "./errors";
import { defaultInputLimits, fitToModelInput, halveInputLimits, type InputLimits } from "./input-limits";
import { nextStepAfter } from "./failed-attempts";
import { nodeHttpTransport, undiciTransport } from "./http-transport";
import { defaultRetryPolicy, sleep, type RetryPolicy } from "./retry-policy";
import type { EmbedOptions, Embedder } from "./types";

/** A decompressed answer larger than this is refused: 32 vectors of 1024 floats are under 1 MB even as JSON. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export interface HttpEmbedderOptions {
  /** OpenAI-compatible base URL, with or without a trailing `/`, e.g. `https://api.deepinfra.com/v1/openai`. */
  baseUrl: string;
  /** Defaults to `BAAI/bge-m3`. */
  model?: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set (local servers such as Ollama need none). */
  apiKey?: string;
  /** Texts per request; `embed()` splits larger inputs. Defaults to 32. */
  batchSize?: number;
  /** Expected vector length; an answer of any other length is an error. Defaults to 1024 (bge-m3). */
  dim?: number;
  /**
   * Requests this embedder keeps open at once (default 1). The provider limits concurrent requests
   * (DeepInfra: 200 per model, https://deepinfra.com/docs/advanced/rate-limits), so workers ×
   * maxInFlight must stay within it.
   */
  maxInFlight?: number;
  /** Per attempt, from sending to the last byte of the answer. Defaults to 30 s. */
  timeoutMs?: number;
  /** Attempts per batch, the first included (default 6); shorthand for `retry.maxAttempts`. */
  maxAttempts?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Input window in tokens, estimated without a tokenizer (default 8192, bge-m3's:
   * https://huggingface.co/BAAI/bge-m3); longer texts are cut.
   */
  maxInputTokens?: number;
  /** Hard cap in UTF-16 code units per text (default 24,000); longer texts are cut, never rejected. */
  maxInputChars?: number;
  /**
   * The HTTP client: `node:http` (the default) or `undici`. Either keeps `maxInFlight` connections
   * alive, which `close()` closes. node:http writes a worker's next request on a kept-alive connection
   * as soon as the last answer ends, undici one event-loop turn later, which costs a busy fan-out
   * (bench/fanout.ts measures both).
   */
  transport?: "node:http" | "undici";
  /** An undici dispatcher to send through instead (e.g. one `Agent` shared by a process); implies `undici`. */
  dispatcher?: Dispatcher;
  /** Called after every HTTP attempt, for metrics and logs (request latency, retries, statuses). */
  onAttempt?: (event: AttemptEvent) => void;
  /** Source of jitter, in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/** One HTTP attempt, as reported to `onAttempt`. */
export interface AttemptEvent {
  /** 1 for a batch's first request, 2 for its first retry, … */
  attempt: number;
  texts: number;
  /** From sending the request to reading the whole answer (time waiting for a `maxInFlight` slot excluded). */
  durationMs: number;
  /**
   * From sending the request to the answer's status and headers (time to first byte: the server's time
   * plus the network's); undefined when no answer came. `durationMs` minus this is reading and decoding it.
   */
  headersMs?: number;
  outcome: AttemptOutcome["kind"];
  /** HTTP status, when there was an answer that was not a success. */
  status?: number;
}

/** An `Embedder` backed by an OpenAI-compatible server; `close()` releases its connections. */
export interface HttpEmbedder extends Embedder {
  readonly kind: "http";
  close(): Promise<void>;
}

export const DEFAULT_HTTP_MODEL = "BAAI/bge-m3";

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 1) {
    throw new EmbedderError("embedder_misconfigured", `embedder setting ${name} must be a positive integer, got ${String(value)}`);
  }
  return result;
}

/**
 * An embedder for any OpenAI-compatible `POST /embeddings` server (DeepInfra, OpenAI, Ollama, vLLM,
 * TEI; the request and answer are OpenAI's, https://platform.openai.com/docs/api-reference/embeddings/create).
 * Batches inputs, caps requests in flight, retries 429/5xx/network errors/timeouts with
 * full-jitter backoff (honouring `Retry-After`), fails fast on other 4xx, and throws `EmbedderError`
 * when a batch cannot be embedded.
 */
export function createHttpEmbedder(options: HttpEmbedderOptions): HttpEmbedder {
  let route: { origin: string; path: string };
  try {
    route = embeddingsRoute(options.baseUrl);
  } catch (cause) {
    throw new EmbedderError("embedder_misconfigured", `embedder baseUrl is not a URL: ${JSON.stringify(options.baseUrl)}`, { cause });
  }
  const model = options.model ?? DEFAULT_HTTP_MODEL;
  const dim = positiveInteger("dim", options.dim, 1024);
  const batchSize = positiveInteger("batchSize", options.batchSize, 32);
  const maxInFlight = positiveInteger("maxInFlight", options.maxInFlight, 1);
  const timeoutMs = positiveInteger("timeoutMs", options.timeoutMs, 30_000);
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  policy.maxAttempts = positiveInteger("maxAttempts", options.maxAttempts ?? options.retry?.maxAttempts, defaultRetryPolicy.maxAttempts);
  const limits: InputLimits = {
    maxInputTokens: positiveInteger("maxInputTokens", options.maxInputTokens, defaultInputLimits.maxInputTokens),
    maxInputChars: positiveInteger("maxInputChars", options.maxInputChars, defaultInputLimits.maxInputChars),
  };
  const random = options.random ?? Math.random;
  const transportSettings = { origin: route.origin, connections: maxInFlight, timeoutMs, maxAnswerBytes: MAX_ANSWER_BYTES };
  const transport =
    options.dispatcher || options.transport === "undici" ? undiciTransport(transportSettings, options.dispatcher) : nodeHttpTransport(transportSettings);
  const endpoint: EmbeddingsEndpoint = {
    transport,
    ...route,
    model,
    apiKey: options.apiKey,
    dim,
    timeoutMs,
    maxAnswerBytes: MAX_ANSWER_BYTES,
    answerBuffers: { spare: [] },
  };
  // One queue per embedder: its concurrency is the number of requests open at once. Waiting out a
  // backoff does not hold a slot; retries jump ahead of fresh batches so no batch starves.
  const queue = new PQueue({ concurrency: maxInFlight });

  function attempt(inputs: string[], attemptNumber: number, signal: AbortSignal): Promise<AttemptOutcome> {
    return queue.add(
      async () => {
        const started = performance.now();
        const clock = { headersAt: 0 };
        const outcome = await requestEmbeddings(endpoint, inputs, signal, clock);
        options.onAttempt?.({
          attempt: attemptNumber,
          texts: inputs.length,
          durationMs: performance.now() - started,
          headersMs: clock.headersAt > 0 ? clock.headersAt - started : undefined,
          outcome: outcome.kind,
          status: outcome.kind === "rejected" || outcome.kind === "transient" ? outcome.status : undefined,
        });
        return outcome;
      },
      { signal, priority: attemptNumber > 1 ? 1 : 0 },
    );
  }

  async function embedBatch(texts: string[], signal: AbortSignal): Promise<Float32Array[]> {
    const context = { model, origin: route.origin, batchSize: texts.length };
    const history = { attempts: 0, badAnswers: 0, shrinks: 0 };
    let batchLimits = limits;
    for (;;) {
      history.attempts++;
      const outcome = await attempt(texts.map((text) => fitToModelInput(text, batchLimits)), history.attempts, signal);
      if (outcome.kind === "ok") return outcome.vectors;
      if (outcome.kind === "bad-answer") history.badAnswers++;
      const step = nextStepAfter(outcome, history, policy, context, random);
      if ("fail" in step) throw step.fail;
      if (step.shrinkInputs) {
        history.shrinks++;
        batchLimits = halveInputLimits(batchLimits);
      }
      if (step.retryAfterMs > 0) await sleep(step.retryAfterMs, signal);
    }
  }

  // Aborted by close(), so calls still waiting for a slot or a retry end instead of hanging.
  const lifetime = new AbortController();

  return {
    kind: "http",
    model,
    dim,
    async embed(texts: string[], embedOptions?: EmbedOptions): Promise<Float32Array[]> {
      embedOptions?.signal?.throwIfAborted();
      lifetime.signal.throwIfAborted();
      if (texts.length === 0) return [];
      // The first batch to fail cancels the others: the caller gets one clear error, not a half-done call.
      const call = new AbortController();
      const parents = [embedOptions?.signal, lifetime.signal].filter((signal) => signal !== undefined);
      const onParentAbort = (event: Event) => call.abort((event.target as AbortSignal).reason);
      for (const parent of parents) parent.addEventListener("abort", onParentAbort, { once: true });
      try {
        const batches: Promise<Float32Array[]>[] = [];
        for (let start = 0; start < texts.length; start += batchSize) {
          const batch = embedBatch(texts.slice(start, start + batchSize), call.signal);
          batch.catch((error: unknown) => call.abort(error));
          batches.push(batch);
        }
        return (await Promise.all(batches)).flat();
      } finally {
        for (const parent of parents) parent.removeEventListener("abort", onParentAbort);
      }
    },
    async close() {
      lifetime.abort(new EmbedderError("embedder_unavailable", `the embedder for ${model} at ${route.origin} was closed`));
      await transport.close();
    },
  };
}
