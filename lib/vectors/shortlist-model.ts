import { scoreAll, scoreSome } from "./dot-kernels";
import { normalizeRows } from "./kmeans";
import { sketchRows } from "./sketch";
import type { Sketch } from "./sketch";

/**
 * Fitted centroids in two forms: exact (full dimensions) to decide, sketched to shortlist. Scoring a row
 * against 64 centroids in a 64-dim sketch, then the few close contenders in 1024 dims, costs ~9k
 * multiply-adds instead of ~65k and almost always picks the centroid an exact scan would.
 */
export interface ShortlistModel {
  sketch: Sketch;
  k: number;
  /** k × dim unit centroids. */
  full: Float32Array;
  /** k × sketchDim sketches of `full`. */
  sketched: Float32Array;
}

/** Builds the model from full-dimension centroids by sketching them (the sketch is linear). */
export function modelFrom(sketch: Sketch, k: number, full: Float32Array): ShortlistModel {
  const sketched = new Float32Array(k * sketch.sketchDim);
  sketchRows(sketch, full, k, sketched, 0);
  return { sketch, k, full, sketched };
}

/** Normalised mean of each cluster's rows; an empty cluster gets a zero centroid, which wins no row. */
export function meanDirections(rows: Float32Array, n: number, dim: number, assignments: Int32Array, k: number): Float32Array {
  const sums = new Float64Array(k * dim);
  for (let r = 0; r < n; r++) addRow(sums, assignments[r]! * dim, rows, r * dim, dim);
  normalizeRows(sums, k, dim);
  return Float32Array.from(sums);
}

/** sums[at ..] += rows[from ..] over `dim` values: accumulating a cluster's vector sum. */
export function addRow(sums: Float64Array, at: number, rows: Float32Array, from: number, dim: number): void {
  for (let i = 0; i < dim; i++) sums[at + i]! += rows[from + i]!;
}

/** How many centroids `assignShortlisted` re-scores in full dimensions. */
export interface Shortlist {
  /** Most candidates per row. */
  max: number;
  /**
   * Candidates whose sketch score is within this of the best are re-scored. The sketch's error on a
   * score difference is about ‖c₁ − c₂‖ / √sketchDim (≈ 0.05–0.12 for neighbouring centroids at 64
   * dims), so 0.2 keeps every plausible winner while clear-cut rows need only one or two exact scores.
   */
  margin: number;
}

/**
 * Assigns rows to the best of the centroids whose sketch scores come within `shortlist.margin` of the
 * top one (at most `shortlist.max`), scored exactly in full dimensions. With max ≥ k every centroid is
 * scored exactly and the sketch is not used.
 */
export function assignShortlisted(
  model: ShortlistModel,
  rows: Float32Array,
  rowSketches: Float32Array,
  n: number,
  shortlist: Shortlist,
  assignments: Int32Array,
  scores: Float32Array,
  outOffset: number,
): void {
  const { k, full, sketched } = model;
  const dim = model.sketch.dim;
  const p = model.sketch.sketchDim;
  const m = Math.min(shortlist.max, k);
  const sketchScores = new Float64Array(k);
  const candIndex = Int32Array.from({ length: m }, (_, j) => j);
  const candScore = new Float64Array(m);
  const exact = new Float64Array(m);
  for (let r = 0; r < n; r++) {
    let count = m;
    if (m < k) {
      scoreAll(rowSketches, r * p, sketched, k, p, sketchScores);
      topM(sketchScores, k, m, candIndex, candScore);
      count = 1;
      while (count < m && candScore[count]! >= candScore[0]! - shortlist.margin) count++;
    }
    scoreSome(rows, r * dim, full, candIndex, count, dim, exact);
    let best = candIndex[0]!;
    let bestScore = exact[0]!;
    for (let j = 1; j < count; j++) {
      const c = candIndex[j]!;
      if (exact[j]! > bestScore || (exact[j] === bestScore && c < best)) {
        bestScore = exact[j]!;
        best = c;
      }
    }
    assignments[outOffset + r] = best;
    scores[outOffset + r] = bestScore;
  }
}

/** The m highest of scores[0..k) into index/score, best first (insertion into a short sorted list). */
function topM(scores: Float64Array, k: number, m: number, index: Int32Array, best: Float64Array): void {
  let filled = 0;
  for (let c = 0; c < k; c++) {
    const s = scores[c]!;
    if (filled < m) filled++;
    else if (s <= best[m - 1]!) continue;
    let j = filled - 1;
    while (j > 0 && best[j - 1]! < s) {
      best[j] = best[j - 1]!;
      index[j] = index[j - 1]!;
      j--;
    }
    best[j] = s;
    index[j] = c;
  }
}
