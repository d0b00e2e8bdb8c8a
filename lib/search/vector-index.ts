import usearch from "usearch";

/**
 * The vector side of search: an HNSW graph (Malkov & Yashunin, arXiv:1603.09320) over a version's
 * vectors, kept as half-precision floats, from USearch (unum-cloud/usearch, the npm package ships
 * prebuilt linux-x64 and linux-arm64 binaries, so nothing is compiled or downloaded at install).
 *
 * Chosen by measurement (README, "Search"): on 100k × 1024 it answers in well under a millisecond at
 * recall@10 ≈ 1.0 against an exact float32 scan, where the plain float32 loop takes ~100 ms and an
 * exact int8 scan loses a tenth of the true neighbours. f16 halves the file next to f32 (cold load) and
 * keeps recall; int8 quantisation cost recall the planted-topics data could not afford.
 *
 * Row i of the version (node i of nodes.json) is key i. Scores are cosine similarities.
 *
 * A version is searched segment by segment (lib/search/segments.ts): each large segment has its own
 * graph, small ones are scanned exactly ({@link flatVectorIndex}, as Qdrant does below its
 * `indexing_threshold`), and {@link combineVectorIndexes} merges their hits by score.
 */
export const VECTOR_INDEX_SETTINGS = {
  metric: usearch.MetricKind.Cos,
  quantization: usearch.ScalarKind.F16,
  /** Graph degree (HNSW's M). With ef = 128 it reached recall@10 0.993 on the bench's 100k planted topics. */
  connectivity: 16,
  expansionAdd: 128,
  expansionSearch: 128,
} as const;

export interface VectorHits {
  rows: number[];
  scores: number[];
}

export interface VectorIndex {
  readonly rows: number;
  readonly dim: number;
  /** The `count` nearest rows to `query` (an L2-normalised vector of `dim`), best first. */
  search(query: Float32Array, count: number): VectorHits;
}

/** Opens an index file; `view` maps it instead of reading it (the file must then stay until dropped). */
export function openVectorIndex(file: string, dim: number, options: { view?: boolean } = {}): VectorIndex {
  const index = newIndex(dim);
  if (options.view) index.view(file);
  else index.load(file);
  const rows = Number(index.size());
  return {
    rows,
    dim,
    search(query, count) {
      if (query.length !== dim) throw new Error(`query vector has ${query.length} dimensions, the index ${dim}`);
      if (rows === 0) return { rows: [], scores: [] };
      const own = query.byteOffset === 0 && query.buffer.byteLength === query.byteLength ? query : query.slice();
      const found = index.search(own, Math.min(count, rows), 1);
      const out: VectorHits = { rows: [], scores: [] };
      for (let i = 0; i < found.keys.length; i++) {
        out.rows.push(Number(found.keys[i]));
        out.scores.push(1 - found.distances[i]!);
      }
      return out;
    },
  };
}

/**
 * An exact scan of `vectors` (row-major, L2-normalised, `dim` floats a row) with USearch's SIMD kernels:
 * for a few thousand rows it costs about what one graph search does, and it needs no build.
 */
export function flatVectorIndex(vectors: Float32Array, dim: number): VectorIndex & { readonly bytes: number } {
  const rows = vectors.length / dim;
  if (!Number.isInteger(rows)) throw new Error(`${vectors.length} floats is not a whole number of ${dim}-dim rows`);
  const own = vectors.byteOffset === 0 && vectors.buffer.byteLength === vectors.byteLength ? vectors : vectors.slice();
  return {
    rows,
    dim,
    bytes: own.byteLength,
    search(query, count) {
      if (query.length !== dim) throw new Error(`query vector has ${query.length} dimensions, the index ${dim}`);
      const wanted = Math.min(count, rows);
      if (wanted === 0) return { rows: [], scores: [] };
      const q = query.byteOffset === 0 && query.buffer.byteLength === query.byteLength ? query : query.slice();
      const found = usearch.exactSearch(own, q, dim, wanted, VECTOR_INDEX_SETTINGS.metric, 1) as InstanceType<typeof usearch.Matches>;
      const out: VectorHits = { rows: [], scores: [] };
      for (let i = 0; i < found.keys.length; i++) {
        out.rows.push(Number(found.keys[i]));
        out.scores.push(1 - found.distances[i]!);
      }
      return out;
    },
  };
}

/** Several indexes over consecutive rows (the first index's rows first) searched as one. */
export function combineVectorIndexes(parts: readonly VectorIndex[]): VectorIndex {
  if (parts.length === 1) return parts[0]!;
  const dim = parts[0]?.dim ?? 0;
  const firsts: number[] = [];
  let rows = 0;
  for (const part of parts) {
    firsts.push(rows);
    rows += part.rows;
  }
  return {
    rows,
    dim,
    search(query, count) {
      const hits: { row: number; score: number }[] = [];
      parts.forEach((part, p) => {
        const found = part.search(query, count);
        found.rows.forEach((row, i) => hits.push({ row: firsts[p]! + row, score: found.scores[i]! }));
      });
      hits.sort((a, b) => b.score - a.score || a.row - b.row);
      const best = hits.slice(0, count);
      return { rows: best.map((hit) => hit.row), scores: best.map((hit) => hit.score) };
    },
  };
}

/** USearch's configuration of every index of `dim` dimensions (a plain object: workers get it too). */
export function vectorIndexConfig(dim: number) {
  return {
    dimensions: dim,
    metric: VECTOR_INDEX_SETTINGS.metric,
    quantization: VECTOR_INDEX_SETTINGS.quantization,
    connectivity: VECTOR_INDEX_SETTINGS.connectivity,
    expansion_add: VECTOR_INDEX_SETTINGS.expansionAdd,
    expansion_search: VECTOR_INDEX_SETTINGS.expansionSearch,
    multi: false,
  };
}

function newIndex(dim: number) {
  return new usearch.Index(vectorIndexConfig(dim));
}
