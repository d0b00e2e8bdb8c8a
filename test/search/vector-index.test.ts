import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { normalizeRows } from "../../lib/vectors/kmeans";
import { createRng } from "../../lib/vectors/prng";
import { buildGraphFile } from "../../lib/search/graph-worker";
import { openVectorIndex } from "../../lib/search/vector-index";
import { timeLoopStalls } from "../support/event-loop";

const dim = 64;
const rows = 500;
const rng = createRng(3);
const data = new Float32Array(rows * dim).map(() => rng.next() - 0.5);
normalizeRows(data, rows, dim);
const folders: string[] = [];
afterAll(() => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));

async function saved(): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), "vector-index-"));
  folders.push(folder);
  const file = path.join(folder, "vectors.usearch");
  // Blocks that are views into a larger buffer, as the .npy reader hands them over.
  expect(await buildGraphFile(dim, blocksOf(data, 128), file, { threads: 1 })).toBe(rows);
  return file;
}

async function* blocksOf(vectors: Float32Array, blockRows: number): AsyncGenerator<Float32Array> {
  for (let at = 0; at * dim < vectors.length; at += blockRows) yield vectors.subarray(at * dim, Math.min(vectors.length, (at + blockRows) * dim));
}

describe("vector index", () => {
  it("finds each stored vector as its own nearest neighbour after a save and a mapped open", async () => {
    const index = openVectorIndex(await saved(), dim, { view: true });
    expect(index.rows).toBe(rows);
    for (const row of [0, 1, 250, 499]) {
      const hits = index.search(data.subarray(row * dim, (row + 1) * dim), 3);
      expect(hits.rows[0]).toBe(row);
      expect(hits.scores[0]).toBeCloseTo(1, 2);
    }
  });

  it("agrees with an exact scan on the top 5 for a fresh query", async () => {
    const index = openVectorIndex(await saved(), dim);
    const query = new Float32Array(dim).map(() => rng.next() - 0.5);
    normalizeRows(query, 1, dim);
    const exact = Array.from({ length: rows }, (_, row) => {
      let score = 0;
      for (let i = 0; i < dim; i++) score += query[i]! * data[row * dim + i]!;
      return { row, score };
    }).sort((a, b) => b.score - a.score);
    expect(index.search(query, 5).rows).toEqual(exact.slice(0, 5).map((entry) => entry.row));
  });
});

describe("building a graph", () => {
  it("leaves the event loop free: timers keep firing while one large block is added", async () => {
    const many = 20_000;
    const vectors = new Float32Array(many * dim).map(() => rng.next() - 0.5);
    normalizeRows(vectors, many, dim);
    const folder = await mkdtemp(path.join(os.tmpdir(), "vector-index-"));
    folders.push(folder);
    const { result, took, longestGap } = await timeLoopStalls(10, () => buildGraphFile(dim, blocksOf(vectors, many), path.join(folder, "vectors.usearch"), { threads: 1 }));
    expect(result).toBe(many);

    // Built on this thread, the one add() would be one gap as long as the build.
    expect(took).toBeGreaterThan(100);
    expect(longestGap).toBeLessThan(took / 2);
  }, 60_000);

  it("reports a block that is not whole rows, and stops its worker", async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), "vector-index-"));
    folders.push(folder);
    await expect(buildGraphFile(dim, blocksOf(data.subarray(0, dim * 3 + 5), 1000), path.join(folder, "x.usearch"))).rejects.toThrow(/not a whole number/);
  });
});
