import { z } from "zod";
import { EmbedderError } from "./errors";
import { createHttpEmbedder } from "./http-embedder";
import { createLocalEmbedder } from "./local-embedder";
import type { Embedder, EmbedderIdentity } from "./types";

export type { Embedder, EmbedOptions, EmbedderIdentity } from "./types";
export { EmbedderError, type EmbedderErrorCode } from "./errors";
export { createHttpEmbedder, DEFAULT_HTTP_MODEL, type AttemptEvent, type HttpEmbedder, type HttpEmbedderOptions } from "./http-embedder";
export { createLocalEmbedder, LOCAL_EMBEDDER_MODEL, type LocalEmbedderOptions } from "./local-embedder";
export { dot, normaliseInPlace } from "./vector-math";

/**
 * The embedder part of the app's configuration, for the config module to validate once at cold start
 * (e.g. `embedderSettingsSchema.parse({ provider: env.EMBEDDINGS_PROVIDER, … })`).
 */
export const embedderSettingsSchema = z
  .object({
    provider: z.enum(["local", "http"]),
    baseUrl: z.url().optional(),
    model: z.string().min(1).optional(),
    apiKey: z.string().min(1).optional(),
    batchSize: z.number().int().positive().optional(),
    dim: z.number().int().positive().optional(),
    maxInFlight: z.number().int().positive().optional(),
    timeoutMs: z.number().int().positive().optional(),
    maxAttempts: z.number().int().positive().optional(),
  })
  .refine((settings) => settings.provider !== "http" || settings.baseUrl !== undefined, {
    message: 'provider "http" needs baseUrl',
    path: ["baseUrl"],
  });

export type EmbedderSettings = z.infer<typeof embedderSettingsSchema>;

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
