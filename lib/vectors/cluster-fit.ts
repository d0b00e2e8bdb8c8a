import { createBlockAssigner } from "./assign-kernel";
import { InvalidVectorsError } from "./errors";
import { lloyd, normalizeRows, seedCentroids } from "./kmeans";
import type { LloydResult } from "./kmeans";
import { createRng } from "./prng";
import type { Rng } from "./prng";
import { createRowReservoir } from "./reservoir";
import type { RowReservoir } from "./reservoir";
import { addRow, assignShortlisted, meanDirections, modelFrom } from "./shortlist-model";
import type { Shortlist, ShortlistModel } from "./shortlist-model";
import { createSketch, sketchRows } from "./sketch";
import type { Sketch } from "./sketch";

/** Tuning knobs for clustering; every default is what `bench/clusters.ts` measures. */
export interface ClusterFitOptions {
  /** Number of clusters; default `chooseK(rows)`. Never more than the number of rows. */
  k?: number;
  /** PRNG seed: same seed + same rows in the same order = same clusters. Default 0x5eed. */
  seed?: number;
  /** Dimensions of the count sketch used to fit and to shortlist centroids. Default 64. */
  sketchDim?: number;
  /** Rows kept (reservoir sample) to fit centroids on. Default 16384. */
  sampleSize?: number;
  /** Maximum Lloyd iterations on the sample in sketch space. Default 12. */
  iterations?: number;
  /** Lloyd iterations on the sample with full-dimension centroids after that. Default 2. */
  refineIterations?: number;
  /** Most candidate centroids (best by sketch score) re-scored in full dimensions per row. Default 16. */
  shortlist?: number;
  /** Re-score candidates whose sketch score is within this of the best one. Default 0.2 (see `Shortlist`). */
  shortlistMargin?: number;
  /** Candidates per k-means++ step (greedy k-means++). Default 2 + ⌊ln k⌋, as scikit-learn. */
  seedTrials?: number;
  /** Independent k-means++ + Lloyd runs on a subsample; the best seeds the fit. Default 3. */
  restarts?: number;
  /** Rows in that subsample: enough for ~64 per cluster. Default max(2048, 64 k). */
  restartSampleSize?: number;
  /** Rows pass 1 will see, when known: the sample's buffer is sized once (no effect on the result). */
  expectedRows?: number;
  /** The fit's Lloyd steps and refinement, and pass 2, on the WebAssembly kernels (default) or in JavaScript (tests compare the two). */
  kernel?: AssignKernel;
}

/** Where the clustering's assignment steps run: lib/vectors/assign-kernel.ts, or the JavaScript of lib/vectors/kmeans.ts and shortlist-model.ts. */
export type AssignKernel = "wasm" | "js";

/** Members most similar to their centroid kept per cluster, to show as examples. */
export const REPRESENTATIVES = 5;

/** Default k for `rows` vectors: √(rows / 2), at least 1, at most 64 (a list a person can scan). */
export function chooseK(rows: number): number {
  if (rows <= 0) return 0;
  return Math.min(rows, Math.max(1, Math.min(64, Math.round(Math.sqrt(rows / 2)))));
}

/** The outcome of the assignment pass, before labelling. Clusters may be empty; the caller drops them. */
export interface ClusterFit {
  k: number;
  dim: number;
  rows: number;
  /** Cluster index per row, row order. */
  assignments: Int32Array;
  sizes: Int32Array;
  /** ‖mean of members‖ per cluster: the mean cosine of members to their centroid direction. */
  centroidNorms: Float64Array;
  /** Per cluster, up to `REPRESENTATIVES` rows, most similar first. */
  representatives: number[][];
  /** Per cluster, the sum of its members' vectors (k × dim): what later rows are assigned against. */
  sums: Float64Array;
  /** Lloyd iterations run in sketch space. */
  iterations: number;
  /** Settings used, for the output document. */
  params: FitParams;
}

/** The options in effect; the two left optional are derived from k when unset. */
export type FitParams = Required<Omit<ClusterFitOptions, "k" | "seedTrials" | "restartSampleSize" | "expectedRows" | "kernel">> &
  Pick<ClusterFitOptions, "seedTrials" | "restartSampleSize">;

/** Pass 1 of the two-pass clustering: feed every row once, in order; then `fit()`. */
export interface ClusterAccumulator {
  /** Adds whole rows (row-major, `dim` floats each), e.g. each batch of `readNpyRows`. */
  add(rows: Float32Array): void;
  /**
   * Fits centroids on the sample of the rows seen; returns the assigner for pass 2, which takes `rows`
   * rows: by default the rows pass 1 saw, or as many others (pass 1 was fed a sample of them).
   */
  fit(rows?: number): ClusterAssigner;
}

/** Pass 2: feed every row again, in the same order; then `result()`. */
export interface ClusterAssigner {
  readonly k: number;
  assign(rows: Float32Array): void;
  result(): ClusterFit;
}

/**
 * Starts a streaming clustering: spherical k-means, fitted on a reservoir sample (so memory is
 * sampleSize × dim floats whatever the row count) in a count sketch of the vectors, then one assignment
 * pass that shortlists centroids by sketch score and picks among them in full dimensions. Rows must be
 * L2-normalised (as embeddings are); results are deterministic for a given seed and row order,
 * whatever the batch sizes.
 */
export function createClusterAccumulator(dim: number, options: ClusterFitOptions = {}): ClusterAccumulator {
  const params = resolveFitParams(options);
  if (!Number.isSafeInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  const reservoir = createRowReservoir(dim, params.sampleSize, createRng(params.seed ^ 0x51ed), options.expectedRows);
  let fitted = false;
  return {
    add(rows) {
      if (fitted) throw new Error("add() after fit(): pass 1 is over");
      reservoir.add(rows, wholeRows(rows, dim));
    },
    fit(rows) {
      fitted = true;
      return fitHeld(reservoir, dim, options, params, rows ?? reservoir.seen);
    },
  };
}

/**
 * The fit `createClusterAccumulator` gives after `add(sample)` of rows that all fit in its sample
 * (`sampleSize` at least their number), made on `sample` where it lies instead of on a copy of it: the
 * same centroids, since a reservoir keeps every row in order until it is full. `rows` as for `fit`.
 */
export function fitWholeSample(dim: number, sample: Float32Array, options: Omit<ClusterFitOptions, "sampleSize" | "expectedRows">, rows: number): ClusterAssigner {
  const params = resolveFitParams(options);
  const count = wholeRows(sample, dim);
  const held: FitRows = { seen: count, size: count, rows: () => sample, sourceRow: (slot) => slot };
  return fitHeld(held, dim, options, { ...params, sampleSize: Math.max(1, count) }, rows);
}

/** The rows a fit is made on: a reservoir's, or a whole sample's. */
type FitRows = Pick<RowReservoir, "seen" | "size" | "rows" | "sourceRow">;

function fitHeld(held: FitRows, dim: number, options: ClusterFitOptions, params: FitParams, rows: number): ClusterAssigner {
  const { seen, size } = held;
  const k = options.k === undefined ? chooseK(seen) : Math.min(Math.max(0, Math.floor(options.k)), seen);
  const rng = createRng(params.seed);
  const sketch = createSketch(dim, params.sketchDim, rng);
  const { model, iterations } = fitModel(held, size, dim, k, sketch, rng, params, options.kernel);
  return createAssigner(model, dim, rows, iterations, params, options.kernel);
}

/** Fills in the defaults (see `ClusterFitOptions`) and keeps every count at least 1. */
export function resolveFitParams(options: ClusterFitOptions = {}): FitParams {
  const atLeast = (min: number, value: number) => Math.max(min, Math.floor(value));
  return {
    seed: options.seed ?? 0x5eed,
    sketchDim: atLeast(1, options.sketchDim ?? 64),
    sampleSize: atLeast(1, options.sampleSize ?? 16384),
    iterations: atLeast(1, options.iterations ?? 12),
    refineIterations: atLeast(0, options.refineIterations ?? 2),
    shortlist: atLeast(1, options.shortlist ?? 16),
    shortlistMargin: Math.max(0, options.shortlistMargin ?? 0.2),
    restarts: atLeast(1, options.restarts ?? 3),
    seedTrials: options.seedTrials === undefined ? undefined : atLeast(1, options.seedTrials),
    restartSampleSize: options.restartSampleSize === undefined ? undefined : atLeast(1, options.restartSampleSize),
  };
}

function shortlistOf(params: FitParams): Shortlist {
  return { max: params.shortlist, margin: params.shortlistMargin };
}

function wholeRows(rows: Float32Array, dim: number): number {
  if (rows.length % dim !== 0) throw new InvalidVectorsError(`a block of ${rows.length} floats is not a whole number of ${dim}-float rows`);
  return rows.length / dim;
}

function fitModel(
  reservoir: FitRows,
  n: number,
  dim: number,
  k: number,
  sketch: Sketch,
  rng: Rng,
  params: FitParams,
  kernel: AssignKernel = "wasm",
): { model: ShortlistModel; iterations: number } {
  const p = sketch.sketchDim;
  if (k === 0) return { model: { sketch, k, full: new Float32Array(0), sketched: new Float32Array(0) }, iterations: 0 };
  const sample = reservoir.rows();
  const sampleSketch = new Float32Array(n * p);
  sketchRows(sketch, sample, n, sampleSketch, 0, reservoir.sourceRow);
  normalizeRows(sampleSketch, n, p);
  const seeds = bestOfRestarts(sampleSketch, n, p, k, rng, params, kernel);
  const fit = lloyd(sampleSketch, n, p, seeds, k, params.iterations, 0.001, kernel);
  let model = modelFrom(sketch, k, meanDirections(sample, n, dim, fit.assignments, k));
  for (let i = 0; i < params.refineIterations; i++) {
    const assignments = new Int32Array(n);
    const scores = new Float32Array(n);
    // The sample's unit sketches, as sampleSketch holds them, made again by the kernel row by row.
    const blocks = kernel === "wasm" ? createBlockAssigner(model, shortlistOf(params), { unitSketches: true }) : undefined;
    if (blocks) {
      // Every row is finite: sketching the sample above would have refused it.
      blocks.assign(sample, n, assignments, scores, 0);
      const sums = blocks.sums();
      normalizeRows(sums, k, dim);
      model = modelFrom(sketch, k, Float32Array.from(sums));
    } else {
      assignShortlisted(model, sample, sampleSketch, n, shortlistOf(params), assignments, scores, 0);
      model = modelFrom(sketch, k, meanDirections(sample, n, dim, assignments, k));
    }
  }
  return { model, iterations: fit.iterations };
}

/** Enough Lloyd iterations to tell a good basin from a bad one; the fit on the whole sample finishes the job. */
const RESTART_ITERATIONS = 6;

/**
 * k-means lands in local optima (two seeds in one topic, one cluster across two). Runs of seeding plus
 * Lloyd on a small random subsample are cheap, so several are tried and the centroids of the tightest
 * run (highest total similarity) seed the fit on the whole sample.
 */
function bestOfRestarts(points: Float32Array, n: number, p: number, k: number, rng: Rng, params: FitParams, kernel: AssignKernel): Float32Array {
  const size = Math.min(n, params.restartSampleSize ?? Math.max(2048, 64 * k));
  const subsample = new Float32Array(size * p);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + rng.int(n - i);
    const row = order[j]!;
    order[j] = order[i]!;
    order[i] = row;
    subsample.set(points.subarray(row * p, (row + 1) * p), i * p);
  }
  const trials = params.seedTrials ?? 2 + Math.floor(Math.log(k));
  let best: LloydResult | undefined;
  for (let run = 0; run < Math.max(1, params.restarts); run++) {
    const result = lloyd(subsample, size, p, seedCentroids(subsample, size, p, k, rng, trials), k, RESTART_ITERATIONS, 0.001, kernel);
    if (!best || result.objective > best.objective) best = result;
  }
  return best!.centroids;
}

/**
 * Pass 2. By default on the WebAssembly kernel (lib/vectors/assign-kernel.ts), else (`kernel: "js"`,
 * or dimensions the kernel does not take) in JavaScript; both make the same choices but where two
 * centroids score within ~1e-6 of each other.
 */
function createAssigner(model: ShortlistModel, dim: number, total: number, iterations: number, params: FitParams, kernel: AssignKernel = "wasm"): ClusterAssigner {
  const { k } = model;
  const p = model.sketch.sketchDim;
  const assignments = new Int32Array(total);
  const scores = new Float32Array(total);
  const blocks = kernel === "wasm" ? createBlockAssigner(model, shortlistOf(params)) : undefined;
  const sums = blocks ? undefined : new Float64Array(k * dim);
  let next = 0;
  let sketchBuffer = new Float32Array(0);
  const nonFinite = (row: number) => new InvalidVectorsError(`vector ${row} contains NaN or infinite values`, { row });
  return {
    k,
    assign(rows) {
      const count = wholeRows(rows, dim);
      if (next + count > total) throw new InvalidVectorsError(`pass 2 got more than the ${total} rows of pass 1`);
      if (k === 0) return;
      if (blocks) {
        const bad = blocks.assign(rows, count, assignments, scores, next);
        if (bad >= 0) throw nonFinite(next + bad);
      } else {
        if (sketchBuffer.length < count * p) sketchBuffer = new Float32Array(count * p);
        const first = next;
        sketchRows(model.sketch, rows, count, sketchBuffer, 0, (r) => first + r);
        assignShortlisted(model, rows, sketchBuffer, count, shortlistOf(params), assignments, scores, next);
        for (let r = 0; r < count; r++) addRow(sums!, assignments[next + r]! * dim, rows, r * dim, dim);
      }
      next += count;
    },
    result() {
      if (next !== total) throw new InvalidVectorsError(`pass 2 got ${next} rows, pass 1 had ${total}`);
      return summarise(assignments, scores, blocks?.sums() ?? sums ?? new Float64Array(k * dim), k, dim, iterations, params);
    },
  };
}

function summarise(
  assignments: Int32Array,
  scores: Float32Array,
  sums: Float64Array,
  k: number,
  dim: number,
  iterations: number,
  params: FitParams,
): ClusterFit {
  const sizes = new Int32Array(k);
  const representatives: number[][] = Array.from({ length: k }, () => []);
  for (let r = 0; r < assignments.length; r++) {
    const c = assignments[r]!;
    sizes[c]!++;
    keepBest(representatives[c]!, r, scores);
  }
  const centroidNorms = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let sq = 0;
    for (let i = c * dim; i < (c + 1) * dim; i++) sq += sums[i]! * sums[i]!;
    centroidNorms[c] = sizes[c]! > 0 ? Math.sqrt(sq) / sizes[c]! : 0;
  }
  return { k, dim, rows: assignments.length, assignments, sizes, centroidNorms, representatives, sums, iterations, params };
}

/** Keeps `best` as the REPRESENTATIVES highest-scoring rows, earlier rows first on ties. */
function keepBest(best: number[], row: number, scores: Float32Array): void {
  const s = scores[row]!;
  if (best.length === REPRESENTATIVES && s <= scores[best[REPRESENTATIVES - 1]!]!) return;
  let j = best.length < REPRESENTATIVES ? best.length : REPRESENTATIVES - 1;
  best[j] = row;
  while (j > 0 && scores[best[j - 1]!]! < s) {
    best[j] = best[j - 1]!;
    best[j - 1] = row;
    j--;
  }
}
