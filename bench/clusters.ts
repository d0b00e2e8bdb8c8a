/**
 * Topic clustering of a vault's vectors: wall time and quality on synthetic vaults of 10k and 100k
 * 1024-dim vectors, against the obvious baseline measured in the same run.
 *
 * Data: 40 themes × 8 topics = 320 planted topic centres sharing a common direction, each vector its
 * topic centre plus noise (cosine ≈ 0.7 to the centre, ≈ 0.5 between two vectors of one topic), in
 * conversations of 1–12 exchanges with synthetic texts (see test/vectors/fixtures/planted-topics.ts).
 * With k = 64 < 320 topics a good clustering keeps themes apart (purity and ARI against themes) and
 * does not scatter topics (completeness against topics). Labels count as right when their top three
 * terms include a word of the cluster's majority theme or of one of its three largest topics.
 *
 * Baseline: plain Lloyd k-means (Euclidean, k random rows as initial centres) on the full set in full
 * dimensions, same k, the same dot-product kernel, stopped at 0.1% changes or BASELINE_ITERATIONS.
 *
 * Run: npx tsx bench/clusters.ts [--rows 10000,100000] [--no-baseline]
 */
import { computeClusters, createClusterAccumulator, clustersDocument } from "../lib/vectors/clusters";
import type { ClustersDoc } from "../lib/vectors/clusters";
import { dot } from "../lib/vectors/dot-kernels";
import { encodeNpy, readNpyRows } from "../lib/vectors/npy";
import { createRng } from "../lib/vectors/prng";
import { adjustedRand, completeness, normalizedMutualInfo, purity } from "../test/vectors/fixtures/cluster-quality";
import { plantedTopics } from "../test/vectors/fixtures/planted-topics";
import type { PlantedCorpus } from "../test/vectors/fixtures/planted-topics";

const BASELINE_ITERATIONS = 10;
const args = process.argv.slice(2);
const rowsArg = args[args.indexOf("--rows") + 1];
const sizes = args.includes("--rows") && rowsArg ? rowsArg.split(",").map(Number) : [10_000, 100_000];
const withBaseline = !args.includes("--no-baseline");

interface Row {
  rows: number;
  method: string;
  seconds: number;
  k: number;
  assignments: ArrayLike<number>;
  labelHits?: string;
}

const seconds = (start: number) => (performance.now() - start) / 1000;

function ours(corpus: PlantedCorpus): { doc: ClustersDoc; seconds: number } {
  const start = performance.now();
  const doc = computeClusters(corpus.vectors, corpus.dim, corpus.nodes);
  return { doc, seconds: seconds(start) };
}

/** The same clustering run as a reducer would: two passes of readNpyRows over nodes.npy bytes. */
async function oursStreamed(corpus: PlantedCorpus, file: Uint8Array): Promise<{ doc: ClustersDoc; seconds: number }> {
  async function* body() {
    for (let at = 0; at < file.length; at += 1 << 20) yield file.subarray(at, at + (1 << 20)); // S3-sized chunks
  }
  const start = performance.now();
  const pass1 = createClusterAccumulator(corpus.dim);
  for await (const batch of readNpyRows(body(), { batchRows: 2048 })) pass1.add(batch.rows);
  const pass2 = pass1.fit();
  for await (const batch of readNpyRows(body(), { batchRows: 2048 })) pass2.assign(batch.rows);
  const doc = clustersDocument(pass2.result(), corpus.nodes);
  return { doc, seconds: seconds(start) };
}

/** Plain Lloyd: assign every row to the nearest mean (min ‖c‖² − 2 x·c), recompute means, repeat. */
function baseline(vectors: Float32Array, n: number, d: number, k: number): { assignments: Int32Array; seconds: number; iterations: number } {
  const start = performance.now();
  const rng = createRng(1);
  const centroids = new Float32Array(k * d);
  const picked = new Set<number>();
  while (picked.size < k) picked.add(rng.int(n));
  [...picked].forEach((row, c) => centroids.set(vectors.subarray(row * d, (row + 1) * d), c * d));
  const assignments = new Int32Array(n).fill(-1);
  const norms = new Float64Array(k);
  let iterations = 0;
  while (iterations < BASELINE_ITERATIONS) {
    iterations++;
    for (let c = 0; c < k; c++) norms[c] = dot(centroids, c * d, centroids, c * d, d);
    let changed = 0;
    for (let r = 0; r < n; r++) {
      let best = 0;
      let bestDistance = Infinity;
      for (let c = 0; c < k; c++) {
        const distance = norms[c]! - 2 * dot(vectors, r * d, centroids, c * d, d);
        if (distance < bestDistance) {
          bestDistance = distance;
          best = c;
        }
      }
      if (assignments[r] !== best) changed++;
      assignments[r] = best;
    }
    const sums = new Float64Array(k * d);
    const counts = new Int32Array(k);
    for (let r = 0; r < n; r++) {
      const c = assignments[r]!;
      counts[c]!++;
      for (let i = 0; i < d; i++) sums[c * d + i]! += vectors[r * d + i]!;
    }
    for (let c = 0; c < k; c++) if (counts[c]! > 0) for (let i = 0; i < d; i++) centroids[c * d + i] = sums[c * d + i]! / counts[c]!;
    if (changed <= 0.001 * n) break;
  }
  return { assignments, seconds: seconds(start), iterations };
}

function labelHits(doc: ClustersDoc, corpus: PlantedCorpus): string {
  const members: number[][] = doc.clusters.map(() => []);
  doc.assignments.forEach((c, row) => members[c]!.push(row));
  let hits = 0;
  doc.clusters.forEach((cluster, c) => {
    const topics = new Map<number, number>();
    const themes = new Map<number, number>();
    for (const row of members[c]!) {
      topics.set(corpus.topic[row]!, (topics.get(corpus.topic[row]!) ?? 0) + 1);
      themes.set(corpus.theme[row]!, (themes.get(corpus.theme[row]!) ?? 0) + 1);
    }
    const topTopics = [...topics].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([t]) => t);
    const topTheme = [...themes].sort((a, b) => b[1] - a[1])[0]![0];
    const words = new Set([...topTopics.flatMap((t) => corpus.topicWords[t]!), ...corpus.themeWords[topTheme]!]);
    if (cluster.terms.slice(0, 3).some((term) => words.has(term))) hits++;
  });
  return `${hits}/${doc.clusters.length}`;
}

/**
 * Share of rows whose nearest centroid by an exact full-dimension scan (centroids = means of the final
 * clusters) is the cluster they were given: what sketch shortlisting and fitting on a sample cost.
 */
function shortlistExactness(doc: ClustersDoc, corpus: PlantedCorpus, sample: number): number {
  const { dim } = corpus;
  const k = doc.k;
  const centroids = new Float32Array(k * dim);
  doc.assignments.forEach((c, row) => {
    for (let i = 0; i < dim; i++) centroids[c * dim + i]! += corpus.vectors[row * dim + i]!;
  });
  const step = Math.max(1, Math.floor(corpus.rows / sample));
  let same = 0;
  let total = 0;
  for (let row = 0; row < corpus.rows; row += step, total++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < k; c++) {
      const norm = Math.sqrt(dot(centroids, c * dim, centroids, c * dim, dim));
      const s = dot(corpus.vectors, row * dim, centroids, c * dim, dim) / norm;
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    if (best === doc.assignments[row]) same++;
  }
  return same / total;
}

function print(results: Row[], corpus: PlantedCorpus, reference: number): void {
  for (const r of results) {
    const ratio = r.method.startsWith("baseline") ? `${(r.seconds / reference).toFixed(1)}× ours` : "";
    console.log(
      [
        String(r.rows).padStart(7),
        r.method.padEnd(36),
        `${r.seconds.toFixed(2)} s`.padStart(9),
        ratio.padStart(10),
        String(r.k).padStart(3),
        purity(r.assignments, corpus.theme).toFixed(3).padStart(8),
        adjustedRand(r.assignments, corpus.theme).toFixed(3).padStart(8),
        completeness(r.assignments, corpus.topic).toFixed(3).padStart(8),
        normalizedMutualInfo(r.assignments, corpus.topic).toFixed(3).padStart(8),
        (r.labelHits ?? "").padStart(7),
      ].join("  "),
    );
  }
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, one thread; synthetic 40 themes × 8 topics, dim 1024`);
  console.log(
    ["   rows", "method".padEnd(36), "wall".padStart(9), "ratio".padStart(10), "  k", "purity/th", " ARI/th", "compl/tp", " NMI/tp", " labels"].join("  "),
  );
  const warmUp = plantedTopics({ rows: 2000, seed: 99 });
  computeClusters(warmUp.vectors, warmUp.dim, warmUp.nodes); // let V8 optimise the kernels before timing
  for (const rows of sizes) {
    const corpus = plantedTopics({ rows, dim: 1024 });
    const results: Row[] = [];
    const run = ours(corpus);
    results.push({ rows, method: "ours (in memory)", seconds: run.seconds, k: run.doc.k, assignments: run.doc.assignments, labelHits: labelHits(run.doc, corpus) });
    const file = encodeNpy(corpus.vectors, corpus.rows, corpus.dim);
    const streamed = await oursStreamed(corpus, file);
    const same = JSON.stringify(streamed.doc) === JSON.stringify(run.doc) ? "same doc" : "DIFFERENT doc";
    results.push({ rows, method: `ours (2 passes over npy: ${same})`, seconds: streamed.seconds, k: streamed.doc.k, assignments: streamed.doc.assignments });
    if (withBaseline) {
      const base = baseline(corpus.vectors, corpus.rows, corpus.dim, run.doc.k);
      results.push({ rows, method: `baseline Lloyd (${base.iterations} iterations)`, seconds: base.seconds, k: run.doc.k, assignments: base.assignments });
    }
    print(results, corpus, run.seconds);
    console.log(`${" ".repeat(9)}exact full-dim scan agrees with the assignment of ${(shortlistExactness(run.doc, corpus, 5000) * 100).toFixed(2)}% of rows`);
  }
}

await main();
