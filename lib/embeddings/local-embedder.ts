import { hashedFeatureVector, hashedFeatureVectorOfLowerCased } from "./hashed-features";
import type { Embedder } from "./types";

export interface LocalEmbedderOptions {
  /** Vector length; defaults to 1024, bge-m3's, so a vault has the same layout whichever embedder made it. */
  dim?: number;
}

/** The name recorded in vault metadata; it promises exactly the vectors `hashedFeatureVector` makes today. */
export const LOCAL_EMBEDDER_MODEL = "local-hash-v1";

/**
 * The offline default: deterministic lexical vectors (hashed word unigrams and bigrams, see
 * `hashedFeatureVector`), no network and no model weights. It finds texts that share words, not texts
 * that share meaning in different words; vaults built with it say so through `model: "local-hash-v1"`.
 */
export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const dim = options.dim ?? 1024;
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`local embedder: dim must be a positive integer, got ${dim}`);
  return {
    kind: "local",
    model: LOCAL_EMBEDDER_MODEL,
    dim,
    async embed(texts, embedOptions) {
      embedOptions?.signal?.throwIfAborted();
      return texts.map((text) => hashedFeatureVector(text, dim));
    },
    async embedInto(texts, into, rows, embedOptions) {
      embedOptions?.signal?.throwIfAborted();
      if (rows.length !== texts.length) throw new RangeError(`local embedder: ${texts.length} texts for ${rows.length} rows`);
      texts.forEach((text, index) => hashedFeatureVector(text, dim, into.subarray(rows[index]! * dim, (rows[index]! + 1) * dim)));
    },
    async embedLowerCasedInto(texts, into, rows, embedOptions) {
      embedOptions?.signal?.throwIfAborted();
      if (rows.length !== texts.length) throw new RangeError(`local embedder: ${texts.length} texts for ${rows.length} rows`);
      texts.forEach((pieces, index) => hashedFeatureVectorOfLowerCased(pieces, dim, into.subarray(rows[index]! * dim, (rows[index]! + 1) * dim)));
    },
  };
}
