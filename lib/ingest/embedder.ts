import { getConfig } from "../config";
import { createEmbedder, embedderIdentity, type Embedder, type EmbedderIdentity } from "../embeddings";
import { log } from "../log";

let embedder: Embedder | undefined;

/**
 * The process-wide embedder from configuration: the hosted model (BAAI/bge-m3 through an
 * OpenAI-compatible API) when EMBEDDER_URL is set, else the offline hashed-feature embedder. Which one
 * is logged once, and recorded with every vault it writes to.
 */
export function getEmbedder(): Embedder {
  if (!embedder) {
    const settings = getConfig().embedder;
    embedder = createEmbedder({
      provider: settings.provider,
      baseUrl: settings.baseUrl,
      model: settings.model,
      apiKey: settings.apiKey,
      dim: settings.dim,
      batchSize: settings.batchSize,
      maxInFlight: settings.maxInFlight,
      timeoutMs: settings.timeoutMs,
    });
    const identity = embedderIdentity(embedder);
    log.info(
      identity.embedder === "local"
        ? "embedder: offline hashed-feature embedder (deterministic word and word-pair hashing; not a neural model)"
        : "embedder: hosted OpenAI-compatible model",
      { ...identity },
    );
  }
  return embedder;
}

export function getEmbedderIdentity(): EmbedderIdentity {
  return embedderIdentity(getEmbedder());
}

export function resetEmbedder(): void {
  embedder = undefined;
}
