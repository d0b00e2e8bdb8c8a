import { describe, expect, it } from "vitest";
import { dot, dotsWithRow, scoreAll, scoreSome } from "../../lib/vectors/dot-kernels";
import { lloyd, normalizeRows, seedCentroids } from "../../lib/vectors/kmeans";
import { createRng } from "../../lib/vectors/prng";
import { createSketch, sketchRows } from "../../lib/vectors/sketch";

const random = (n: number, d: number, seed = 1) => {
  const rng = createRng(seed);
  const out = Float32Array.from({ length: n * d }, () => rng.next() * 2 - 1);
  normalizeRows(out, n, d);
  return out;
};

describe("createRng", () => {
  it("repeats its sequence for a seed and stays in [0, 1)", () => {
    const a = createRng(42);
    const b = createRng(42);
    const values = Array.from({ length: 1000 }, () => a.next());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(createRng(43).next()).not.toBe(values[0]);
  });
});

describe("dot kernels", () => {
  it("agree with a plain dot product for every length and block remainder", () => {
    const rows = random(7, 13);
    const centroids = random(6, 13, 2);
    const plain = (a: Float32Array, ai: number, b: Float32Array, bi: number) => {
      let s = 0;
      for (let i = 0; i < 13; i++) s += a[ai * 13 + i]! * b[bi * 13 + i]!;
      return s;
    };
    const all = new Float64Array(6);
    scoreAll(rows, 2 * 13, centroids, 6, 13, all);
    const some = new Float64Array(5);
    scoreSome(rows, 2 * 13, centroids, Int32Array.of(5, 0, 3, 1, 2), 5, 13, some);
    const dots = new Float64Array(7);
    dotsWithRow(rows, 7, 13, centroids, 4 * 13, dots);
    for (let c = 0; c < 6; c++) expect(all[c]).toBeCloseTo(plain(rows, 2, centroids, c), 6);
    [5, 0, 3, 1, 2].forEach((c, j) => expect(some[j]).toBeCloseTo(plain(rows, 2, centroids, c), 6));
    for (let r = 0; r < 7; r++) expect(dots[r]).toBeCloseTo(plain(rows, r, centroids, 4), 6);
    expect(dot(rows, 0, rows, 0, 13)).toBeCloseTo(1, 6);
  });
});

describe("count sketch", () => {
  it("is an exact signed permutation when it has as many dimensions as the input", () => {
    const rows = random(5, 16);
    const out = new Float32Array(5 * 16);
    sketchRows(createSketch(16, 64, createRng(1)), rows, 5, out, 0);
    for (let r = 0; r < 5; r++) {
      expect(dot(out, r * 16, out, r * 16, 16)).toBeCloseTo(1, 5);
      expect(dot(out, 0, out, r * 16, 16)).toBeCloseTo(dot(rows, 0, rows, r * 16, 16), 5);
    }
  });

  it("preserves inner products of 1024-dim unit vectors to within about 1/√64", () => {
    const rows = random(200, 1024);
    const out = new Float32Array(200 * 64);
    sketchRows(createSketch(1024, 64, createRng(3)), rows, 200, out, 0);
    let squaredError = 0;
    for (let r = 1; r < 200; r++) squaredError += (dot(out, 0, out, r * 64, 64) - dot(rows, 0, rows, r * 1024, 1024)) ** 2;
    expect(Math.sqrt(squaredError / 199)).toBeLessThan(1.5 / Math.sqrt(64));
  });

  it("overwrites rather than adds to the output rows", () => {
    const out = new Float32Array(4).fill(9);
    sketchRows(createSketch(4, 4, createRng(1)), Float32Array.of(0, 0, 0, 0), 1, out, 0);
    expect([...out]).toEqual([0, 0, 0, 0]);
  });
});

describe("seedCentroids and lloyd", () => {
  it("separate well-separated groups", () => {
    const centres = [Float32Array.of(1, 0, 0), Float32Array.of(0, 1, 0), Float32Array.of(0, 0, 1)];
    const rng = createRng(5);
    const points = new Float32Array(90 * 3);
    for (let r = 0; r < 90; r++) for (let i = 0; i < 3; i++) points[r * 3 + i] = centres[r % 3]![i]! + 0.1 * rng.next();
    normalizeRows(points, 90, 3);
    const { assignments } = lloyd(points, 90, 3, seedCentroids(points, 90, 3, 3, rng, 3), 3, 20, 0);
    for (let r = 3; r < 90; r++) expect(assignments[r]).toBe(assignments[r % 3]);
    expect(new Set(assignments).size).toBe(3);
  });

  it("re-seeds a cluster that loses all its points", () => {
    const points = Float32Array.of(1, 0, 0.9, 0.1, 0, 1);
    normalizeRows(points, 3, 2);
    const start = Float32Array.of(1, 0, 0.99, 0.01); // both seeds near the first two points
    const { assignments } = lloyd(points, 3, 2, start, 2, 10, 0);
    expect(new Set(assignments).size).toBe(2);
  });
});
