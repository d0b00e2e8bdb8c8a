import { fuseRankings, type FusedRow } from "./fusion";
import type { LexicalIndex } from "./lexical-index";
import type { MemoryFilters, MemoryTable } from "./memory-table";
import { identifierTerms, queryTerms } from "./tokens";
import type { VectorIndex } from "./vector-index";

export interface SearchIndexes {
  vectors: VectorIndex;
  lexical: LexicalIndex;
  memories: MemoryTable;
}

/** An identifier held by at most this share of memories (and at most 50) pins its holders first. */
const RARE_SHARE = 0.01;
const RARE_MAX = 50;
/** The graph search is asked for at most this many rows when a filter throws most of them away. */
const MAX_FILTERED_CANDIDATES = 20_000;

/**
 * The `k` best rows of a version for a query: the nearest vectors and the best BM25 matches (each side
 * asked for several times `k`), fused by reciprocal rank (fusion.ts). Filters apply to both sides. The
 * graph cannot filter while it walks, so with a filter it is asked for more rows, in proportion to the
 * share the filter keeps (a filter keeping 1% of a vault asks for 100× as many), up to a bound.
 */
export function rankMemories(indexes: SearchIndexes, query: { text: string; vector: Float32Array }, options: { k: number; filters?: MemoryFilters }): FusedRow[] {
  const { vectors, lexical, memories } = indexes;
  const allowed = options.filters ? memories.allowed(options.filters) : undefined;
  if (allowed && allowed.count === 0) return [];
  const wanted = Math.max(50, options.k * 5);

  const share = allowed ? allowed.count / memories.rows : 1;
  const asked = Math.min(memories.rows, MAX_FILTERED_CANDIDATES, Math.ceil(wanted / share));
  const nearest = vectors.search(query.vector, Math.max(wanted, asked));
  const vectorRows = allowed ? nearest.rows.filter((row) => allowed.mask[row] === 1).slice(0, wanted) : nearest.rows.slice(0, wanted);

  const words = queryTerms(query.text);
  const lexicalHits = lexical.search(words, { limit: wanted, allowed: allowed?.mask });

  const rare = identifierTerms(query.text).filter((term) => {
    const df = lexical.documentFrequency(term);
    return df > 0 && df <= Math.min(RARE_MAX, Math.max(1, RARE_SHARE * memories.rows));
  });
  const pinned = rare.length > 0 ? lexical.rowsWithAll(rare).filter((row) => !allowed || allowed.mask[row] === 1) : [];

  return fuseRankings({ rows: vectorRows }, { rows: lexicalHits.rows }, { k: options.k, pinned });
}
