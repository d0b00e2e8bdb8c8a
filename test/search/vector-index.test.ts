import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { normalizeRows } from "../../lib/vectors/kmeans";
import { createRng } from "../../lib/vectors/prng";
import { createVectorIndexBuilder, openVectorIndex } from "../../lib/search/vector-index";

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
  const builder = createVectorIndexBuilder(dim, { threads: 1 });
  // Blocks that are views into a larger buffer, as the .npy reader hands them over.
  for (let at = 0; at < rows; at += 128) builder.add(data.subarray(at * dim, Math.min(rows, at + 128) * dim));
  const file = path.join(folder, "vectors.usearch");
  builder.save(file);
  return file;
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
