import { describe, expect, it, vi } from "vitest";
import { startClusterThread, runningClusterThreads } from "../../lib/vectors/cluster-thread";
import { createClusterAccumulator } from "../../lib/vectors/clusters";
import { InvalidVectorsError } from "../../lib/vectors/errors";
import { plantedTopics } from "./fixtures/planted-topics";

const corpus = plantedTopics({ rows: 2000, dim: 64, themes: 6, topicsPerTheme: 3, seed: 11 });
const DIM = corpus.dim;

/** The corpus in blocks of uneven sizes, as chunks arrive. */
function blocks(): Float32Array[] {
  const out: Float32Array[] = [];
  for (let row = 0, size = 317; row < corpus.rows; row += size, size = 200 + ((size * 7) % 400)) out.push(corpus.vectors.subarray(row * DIM, Math.min(corpus.rows, row + size) * DIM));
  return out;
}

describe("clustering on a thread", () => {
  it.each([{ split: false }, { split: true }])("gives the same fit as the two passes on the calling thread, and leaves the caller's rows as they were (%o)", async ({ split }) => {
    const options = { expectedRows: corpus.rows, sampleSize: 1500, k: 12 };
    const pass1 = createClusterAccumulator(DIM, options);
    for (const rows of blocks()) pass1.add(rows);
    const pass2 = pass1.fit();
    for (const rows of blocks()) pass2.assign(rows);
    const here = pass2.result();
    const before = corpus.vectors.slice();

    const thread = startClusterThread(DIM, options, { split });
    for (const rows of blocks()) thread.add(rows);
    const there = await thread.result();

    expect(there.k).toBe(here.k);
    expect(there.rows).toBe(corpus.rows);
    expect(there.assignments).toEqual(here.assignments);
    expect(there.sizes).toEqual(here.sizes);
    expect(there.sums).toEqual(here.sums);
    expect(there.centroidNorms).toEqual(here.centroidNorms);
    expect(there.representatives).toEqual(here.representatives);
    expect(there.iterations).toBe(here.iterations);
    expect(there.params).toEqual(here.params);
    expect(corpus.vectors).toEqual(before);
    await vi.waitFor(() => expect(runningClusterThreads.size).toBe(0));
  }, 120_000);

  it.each([{ split: false }, { split: true }])("fails with the rows' own error when a vector cannot be clustered (%o)", async ({ split }) => {
    // The bad row is past the split.
    const thread = startClusterThread(DIM, { expectedRows: 140 }, { split });
    const rows = corpus.vectors.slice(0, 40 * DIM);
    rows[17 * DIM + 3] = Number.NaN;
    thread.add(corpus.vectors.subarray(0, 100 * DIM));
    thread.add(rows);

    const failed = await thread.result().catch((error: unknown) => error);

    expect(failed).toBeInstanceOf(InvalidVectorsError);
    expect((failed as InvalidVectorsError).message).toMatch(/vector 117 contains NaN/);
    await vi.waitFor(() => expect(runningClusterThreads.size).toBe(0));
  }, 60_000);

  it.each([0, 1])("fails its result when one of its threads ends midway, as a crash would (thread %i of 2)", async (which) => {
    const thread = startClusterThread(DIM, { expectedRows: corpus.rows }, { split: true });
    for (const rows of blocks()) thread.add(rows);
    await [...runningClusterThreads][which]!.terminate();

    await expect(thread.result()).rejects.toThrow(/clustering thread stopped/);
    expect(runningClusterThreads.size).toBe(0);
  }, 60_000);
});
