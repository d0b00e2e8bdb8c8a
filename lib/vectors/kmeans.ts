import { createNearestKernel } from "./assign-kernel";
import type { AssignKernel } from "./cluster-fit";
import { dotsWithRow, scoreAll } from "./dot-kernels";
import type { Rng } from "./prng";

/**
 * Spherical k-means building blocks over row-major Float32Arrays of unit vectors: similarity is the dot
 * product and a centroid is the normalised mean of its members.
 */

/** Scales each of `n` rows to unit length in place; all-zero rows stay zero. */
export function normalizeRows(data: Float32Array | Float64Array, n: number, d: number): void {
  for (let r = 0; r < n; r++) {
    let sq = 0;
    for (let i = r * d; i < (r + 1) * d; i++) sq += data[i]! * data[i]!;
    if (sq === 0) continue;
    const inv = 1 / Math.sqrt(sq);
    for (let i = r * d; i < (r + 1) * d; i++) data[i]! *= inv;
  }
}

/**
 * k-means++ seeding (Arthur & Vassilvitskii 2007) with the greedy refinement scikit-learn uses: each step
 * draws `trials` candidates proportionally to their cosine distance (1 − similarity) from the chosen
 * centres and keeps the one that lowers the total most. If every point duplicates a chosen centre the
 * rest are drawn uniformly; the empty clusters that leaves are dropped later.
 */
export function seedCentroids(points: Float32Array, n: number, d: number, k: number, rng: Rng, trials: number): Float32Array {
  const centroids = new Float32Array(k * d);
  const closest = new Float64Array(n);
  const sims = new Float64Array(n);
  const first = rng.int(n);
  centroids.set(points.subarray(first * d, (first + 1) * d), 0);
  dotsWithRow(points, n, d, centroids, 0, sims);
  let potential = 0;
  for (let r = 0; r < n; r++) potential += closest[r] = Math.max(0, 1 - sims[r]!);
  for (let c = 1; c < k; c++) {
    let bestRow = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      const row = potential > 0 ? drawWeighted(closest, potential, rng) : rng.int(n);
      dotsWithRow(points, n, d, points, row * d, sims);
      let total = 0;
      for (let r = 0; r < n; r++) total += Math.min(closest[r]!, Math.max(0, 1 - sims[r]!));
      if (total < bestPotential) {
        bestPotential = total;
        bestRow = row;
      }
    }
    centroids.set(points.subarray(bestRow * d, (bestRow + 1) * d), c * d);
    dotsWithRow(points, n, d, centroids, c * d, sims);
    potential = 0;
    for (let r = 0; r < n; r++) potential += closest[r] = Math.min(closest[r]!, Math.max(0, 1 - sims[r]!));
  }
  return centroids;
}

function drawWeighted(weights: Float64Array, total: number, rng: Rng): number {
  let target = rng.next() * total;
  for (let r = 0; r < weights.length; r++) {
    target -= weights[r]!;
    if (target < 0) return r;
  }
  for (let r = weights.length - 1; r >= 0; r--) if (weights[r]! > 0) return r;
  return 0;
}

export interface LloydResult {
  centroids: Float32Array;
  assignments: Int32Array;
  iterations: number;
  /** Sum of each point's similarity to its centroid at the last assignment: higher is better. */
  objective: number;
}

/**
 * Spherical Lloyd iterations from `initial` until at most `tolerance` × n points change cluster or
 * `maxIterations` pass. An emptied cluster is re-seeded with the point least similar to its own centroid,
 * so k stays k while there are distinct points to give it. The assignment step runs on the WebAssembly
 * kernel unless `kernel` is "js" (or d is not a multiple of 4).
 */
export function lloyd(
  points: Float32Array,
  n: number,
  d: number,
  initial: Float32Array,
  k: number,
  maxIterations: number,
  tolerance: number,
  kernel: AssignKernel = "wasm",
): LloydResult {
  const centroids = initial.slice();
  const nearest = kernel === "wasm" ? createNearestKernel(points, n, d, k) : undefined;
  let assignments: Int32Array = new Int32Array(n).fill(-1);
  let scores: Float32Array | Float64Array = new Float64Array(n);
  const row = new Float64Array(k);
  let iterations = 0;
  let objective = 0;
  while (iterations < maxIterations) {
    iterations++;
    let changed = 0;
    objective = 0;
    if (nearest) {
      // The assignment step on the WebAssembly kernel (lib/vectors/assign-kernel.ts), scores in f32.
      changed = nearest.assign(centroids);
      assignments = nearest.assignments();
      scores = nearest.scores();
      for (let r = 0; r < n; r++) objective += scores[r]!;
    } else {
      for (let r = 0; r < n; r++) {
        scoreAll(points, r * d, centroids, k, d, row);
        const index = argmax(row, k);
        if (index !== assignments[r]) changed++;
        assignments[r] = index;
        scores[r] = row[index]!;
        objective += row[index]!;
      }
    }
    updateCentroids(points, n, d, assignments, scores, centroids, k);
    if (changed <= tolerance * n) break;
  }
  return { centroids, assignments: nearest ? assignments.slice() : assignments, iterations, objective };
}

/** Index of the largest of values[0..k); ties go to the lower index. */
export function argmax(values: Float64Array, k: number): number {
  let index = 0;
  for (let c = 1; c < k; c++) if (values[c]! > values[index]!) index = c;
  return index;
}

/** Recomputes each centroid as its members' normalised mean, re-seeding empty clusters (see `lloyd`). */
export function updateCentroids(points: Float32Array, n: number, d: number, assignments: Int32Array, scores: Float32Array | Float64Array, centroids: Float32Array, k: number): void {
  const sums = new Float64Array(k * d);
  const sizes = new Int32Array(k);
  for (let r = 0; r < n; r++) {
    const c = assignments[r]!;
    sizes[c]!++;
    const sb = c * d;
    const pb = r * d;
    for (let i = 0; i < d; i++) sums[sb + i]! += points[pb + i]!;
  }
  const taken = new Uint8Array(n);
  for (let c = 0; c < k; c++) {
    if (sizes[c] === 0) {
      const row = leastSimilar(scores, taken);
      if (row < 0) continue;
      taken[row] = 1;
      for (let i = 0; i < d; i++) sums[c * d + i] = points[row * d + i]!;
    }
  }
  normalizeRows(sums, k, d);
  for (let i = 0; i < k * d; i++) centroids[i] = sums[i]!;
}

function leastSimilar(scores: Float32Array | Float64Array, taken: Uint8Array): number {
  let row = -1;
  for (let r = 0; r < scores.length; r++) if (!taken[r] && (row < 0 || scores[r]! < scores[row]!)) row = r;
  return row;
}
