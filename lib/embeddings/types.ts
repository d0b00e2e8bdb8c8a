/**
 * What the ingest pipeline needs from an embedding model, whichever one is behind it. The vault records
 * `kind`, `model` and `dim` (see `embedderIdentity`), so vectors from different embedders are never mixed.
 */
export interface Embedder {
  /** Recorded in vault metadata: `"http"` for a hosted OpenAI-compatible model, `"local"` for the offline one. */
  readonly kind: "http" | "local";
  /** The model name, e.g. `"BAAI/bge-m3"` or `"local-hash-v1"`. */
  readonly model: string;
  /** Length of every vector this embedder returns (1024 for bge-m3). */
  readonly dim: number;
  /**
   * Embeds texts in order; returns one L2-normalised Float32Array of length dim per text. Vectors may be
   * views into one shared ArrayBuffer (use `vector`, not `vector.buffer`, and copy before transferring).
   */
  embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]>;
  /**
   * What `embed` does, the vector of `texts[i]` written into `into` at row `rows[i]` (`rows[i] * dim`
   * onwards) instead of a Float32Array of its own: for an embedder that computes vectors here (the
   * local one), which saves a buffer per text and its copy into the caller's matrix.
   */
  embedInto?(texts: readonly string[], into: Float32Array, rows: readonly number[], options?: EmbedOptions): Promise<void>;
  /**
   * What `embedInto` does, each text given lower-cased (`String.prototype.toLowerCase`) and in pieces
   * (`texts[i].join("")` is the text lower-cased): for an embedder that lower-cases texts itself (the
   * local one), when the caller has the pieces lower-cased for another use already.
   */
  embedLowerCasedInto?(texts: readonly (readonly string[])[], into: Float32Array, rows: readonly number[], options?: EmbedOptions): Promise<void>;
}

export interface EmbedOptions {
  /** Aborting cancels requests in flight and pending retries; `embed()` then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The embedder fields stored in a vault's metadata. */
export interface EmbedderIdentity {
  embedder: Embedder["kind"];
  model: string;
  dim: number;
}
