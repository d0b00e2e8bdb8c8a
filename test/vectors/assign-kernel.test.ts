import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { buildAssignKernelSource, GENERATED_FILE } from "../../lib/vectors/assign-kernel-build";
import { fitWholeSample, type AssignKernel, type ClusterFit } from "../../lib/vectors/cluster-fit";
import { InvalidVectorsError } from "../../lib/vectors/errors";
import { lloyd, normalizeRows } from "../../lib/vectors/kmeans";
import { plantedTopics } from "./fixtures/planted-topics";

const corpus = plantedTopics({ rows: 6_000, seed: 11 });
const DIM = corpus.dim;

/** Fits on the first `sampleRows` rows and assigns every row in blocks of `block`, on `kernel`. */
function clustered(kernel: AssignKernel, options: { k: number; sampleRows?: number; block?: number; vectors?: Float32Array; dim?: number }): ClusterFit {
  const { k, sampleRows = 2_000, block = 700, vectors = corpus.vectors, dim = DIM } = options;
  const rows = vectors.length / dim;
  const assigner = fitWholeSample(dim, vectors.subarray(0, sampleRows * dim), { k, kernel }, rows);
  for (let row = 0; row < rows; row += block) assigner.assign(vectors.slice(row * dim, Math.min(rows, row + block) * dim));
  return assigner.result();
}

/** Same choices: assignments, sizes, representatives and sums exactly; scores (norms) to f32 rounding. */
function expectSameClusters(wasm: ClusterFit, js: ClusterFit): void {
  expect([...wasm.assignments]).toEqual([...js.assignments]);
  expect([...wasm.sizes]).toEqual([...js.sizes]);
  expect(wasm.representatives).toEqual(js.representatives);
  expect([...wasm.sums]).toEqual([...js.sums]);
  wasm.centroidNorms.forEach((norm, c) => expect(norm).toBeCloseTo(js.centroidNorms[c]!, 12));
}

describe("the clustering's assignment kernel (WebAssembly)", () => {
  it("is the code a fresh build of lib/vectors/assign-kernel.wat gives (npm run build:workers)", async () => {
    expect(await readFile(GENERATED_FILE, "utf8")).toBe(await buildAssignKernelSource());
  });

  it("fits and assigns every row as the JavaScript does, with the same sums, shortlisting 16 of 64 centroids", () => {
    const wasm = clustered("wasm", { k: 64 });
    expect(new Set(wasm.assignments).size).toBeGreaterThan(40);
    expectSameClusters(wasm, clustered("js", { k: 64 }));
  });

  it("scores every centroid in full when there are no more than the shortlist's 16", () => {
    expectSameClusters(clustered("wasm", { k: 12 }), clustered("js", { k: 12 }));
  });

  it("gives the same whatever the block sizes, one row at a time included", () => {
    const whole = clustered("wasm", { k: 64, block: 6_000 });
    expectSameClusters(clustered("wasm", { k: 64, block: 1 }), whole);
    expectSameClusters(clustered("wasm", { k: 64, block: 333 }), whole);
  });

  it("leaves rows whose dimensions are not whole groups of four to the JavaScript pass", () => {
    const dim = 6;
    const vectors = new Float32Array(500 * dim).map((_, i) => Math.sin(i * 0.7) + ((i % dim) === Math.floor(i / dim) % dim ? 2 : 0));
    const wasm = clustered("wasm", { k: 4, sampleRows: 200, block: 64, vectors, dim });
    expect(wasm.rows).toBe(500);
    expectSameClusters(wasm, clustered("js", { k: 4, sampleRows: 200, block: 64, vectors, dim }));
  });

  it("refuses a block with NaN or Infinity in it, naming the row, and assigns none of its rows", () => {
    const rows = 3_000;
    const assigner = fitWholeSample(DIM, corpus.vectors.subarray(0, 1_000 * DIM), { k: 64 }, rows);
    assigner.assign(corpus.vectors.slice(0, 1_000 * DIM));
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const block = corpus.vectors.slice(1_000 * DIM, 2_000 * DIM);
      block[437 * DIM + 1023] = bad;
      expect(() => assigner.assign(block)).toThrow(new InvalidVectorsError("vector 1437 contains NaN or infinite values", { row: 1437 }));
    }
    // The refused block counted for nothing: the same rows, finite, are rows 1,000 to 1,999 still.
    assigner.assign(corpus.vectors.slice(1_000 * DIM, 3_000 * DIM));
    const fit = assigner.result();
    const js = fitWholeSample(DIM, corpus.vectors.subarray(0, 1_000 * DIM), { k: 64, kernel: "js" }, rows);
    js.assign(corpus.vectors.slice(0, 3_000 * DIM));
    expectSameClusters(fit, js.result());
  });

  it("checks every slice of a block larger than it copies at once before assigning any of it", () => {
    const rows = 6_000;
    const assigner = fitWholeSample(DIM, corpus.vectors.subarray(0, 1_000 * DIM), { k: 64 }, rows);
    const block = corpus.vectors.slice();
    block[5_000 * DIM] = Number.NaN;
    expect(() => assigner.assign(block)).toThrow(new InvalidVectorsError("vector 5000 contains NaN or infinite values", { row: 5000 }));
    assigner.assign(corpus.vectors.slice());
    const js = fitWholeSample(DIM, corpus.vectors.subarray(0, 1_000 * DIM), { k: 64, kernel: "js" }, rows);
    js.assign(corpus.vectors.slice());
    expectSameClusters(assigner.result(), js.result());
  });

  it("runs Lloyd's assignment step as the JavaScript does: same clusters, iterations and centroids to f32 rounding", () => {
    for (const d of [64, 1024, 6]) {
      const n = 3_000;
      const points = new Float32Array(n * d);
      // Planted vectors cut to d dimensions (or all 1,024), made unit again, as the fit's sketches are.
      for (let r = 0; r < n; r++) points.set(corpus.vectors.subarray(r * DIM, r * DIM + Math.min(d, DIM)), r * d);
      normalizeRows(points, n, d);
      const initial = points.slice(0, 24 * d);
      const wasm = lloyd(points, n, d, initial, 24, 12, 0.001, "wasm");
      const js = lloyd(points, n, d, initial, 24, 12, 0.001, "js");
      expect([...wasm.assignments]).toEqual([...js.assignments]);
      expect(wasm.iterations).toBe(js.iterations);
      expect(new Set(wasm.assignments).size).toBeGreaterThan(12);
      wasm.centroids.forEach((value, i) => expect(value).toBeCloseTo(js.centroids[i]!, 5));
      expect(wasm.objective).toBeCloseTo(js.objective, 2);
    }
  });
});
