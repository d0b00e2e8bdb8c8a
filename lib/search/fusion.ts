/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): each ranked list adds 1 / (60 + rank)
 * for every row it holds, so a row both sides like beats a row only one side likes, and neither side's
 * raw scores (cosines, BM25 sums) need to be comparable.
 *
 * One rule on top: when the query names an identifier that only a few memories hold (an order number,
 * a function name — see `identifierTerms`), the memories holding all such identifiers come first. A
 * person who types `ORD-88412` wants that order, not the ten conversations most similar to "orders".
 */
export const RRF_K = 60;

export interface RankedList {
  rows: readonly number[];
}

export interface FusedRow {
  row: number;
  score: number;
  /** 1-based ranks in the vector and lexical lists, when the row was in them. */
  vectorRank?: number;
  lexicalRank?: number;
}

export function fuseRankings(vector: RankedList, lexical: RankedList, options: { k: number; pinned?: readonly number[] }): FusedRow[] {
  const fused = new Map<number, FusedRow>();
  const add = (rows: readonly number[], side: "vectorRank" | "lexicalRank") => {
    rows.forEach((row, index) => {
      const entry = fused.get(row) ?? { row, score: 0 };
      entry.score += 1 / (RRF_K + index + 1);
      entry[side] = index + 1;
      fused.set(row, entry);
    });
  };
  add(vector.rows, "vectorRank");
  add(lexical.rows, "lexicalRank");
  const byScore = (a: FusedRow, b: FusedRow) => b.score - a.score || (a.lexicalRank ?? Infinity) - (b.lexicalRank ?? Infinity) || a.row - b.row;
  const pinned = new Set(options.pinned ?? []);
  const first = [...pinned].map((row) => fused.get(row) ?? { row, score: 0 }).sort(byScore);
  const rest = [...fused.values()].filter((entry) => !pinned.has(entry.row)).sort(byScore);
  return [...first, ...rest].slice(0, options.k);
}
