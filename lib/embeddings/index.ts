import { EmbedderError } from "./errors";
import { createHttpEmbedder, type HttpEmbedderOptions } from "./http-embedder";
import { createLocalEmbedder } from "./local-embedder";
import type { Embedder, EmbedderIdentity } from "./types";

export type { Embedder, EmbedOptions, EmbedderIdentity } from "./types";
export { EmbedderError, type EmbedderErrorCode } from "./errors";
export { createHttpEmbedder, DEFAULT_HTTP_MODEL, type AttemptEvent, type HttpEmbedder, type HttpEmbedderOptions } from "./http-embedder";
export { createLocalEmbedder, LOCAL_EMBEDDER_MODEL, type LocalEmbedderOptions } from "./local-embedder";
export { dot, normaliseInPlace } from "./vector-math";

/** Which embedder to make; `lib/config.ts` reads these from the environment and validates them. */
export type EmbedderSettings = { provider: "local" | "http" } & Partial<
  Pick<HttpEmbedderOptions, "baseUrl" | "model" | "apiKey" | "batchSize" | "dim" | "maxInFlight" | "timeoutMs" | "maxAttempts">
>;

/**
 * The embedder the settings describe: `local` is the offline hashed-feature embedder (only `dim`
 * applies), `http` an OpenAI-compatible server (model `BAAI/bge-m3` unless set). Make it once per
 * process and pass it in; an HTTP embedder holds a keep-alive connection pool.
 */
export function createEmbedder(settings: EmbedderSettings): Embedder {
  if (settings.provider === "local") return createLocalEmbedder({ dim: settings.dim });
  if (!settings.baseUrl) throw new EmbedderError("embedder_misconfigured", 'embedder provider "http" needs baseUrl');
  return createHttpEmbedder({
    baseUrl: settings.baseUrl,
    model: settings.model,
    apiKey: settings.apiKey,
    batchSize: settings.batchSize,
    dim: settings.dim,
    maxInFlight: settings.maxInFlight,
    timeoutMs: settings.timeoutMs,
    maxAttempts: settings.maxAttempts,
  });
}

/** What a vault records about the embedder that made its vectors; vectors of different identities never mix. */
export function embedderIdentity(embedder: Embedder): EmbedderIdentity {
  return { embedder: embedder.kind, model: embedder.model, dim: embedder.dim };
}
