import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { encodeSections } from "../../lib/search/binary-sections";
import { presignGet } from "../../lib/store/objects";
import { chooseK, createClusterAccumulator } from "../../lib/vectors/cluster-fit";
import type { ClusterFit } from "../../lib/vectors/cluster-fit";
import { startClusterThread, type ClusterThread, type SampleSource } from "../../lib/vectors/cluster-thread";
import { buildClusterWorkerSource, GENERATED_FILE } from "../../lib/vectors/cluster-worker-build";
import { halfBits, halfValue } from "../../lib/vectors/half-float";
import { encodeNpy } from "../../lib/vectors/npy";
import { decodeSample, encodeSample, inSample, SAMPLE_RATE, samplePriority } from "../../lib/vectors/sample-file";
import { putBytes, useEmulator } from "../support/emulator";
import { plantedTopics } from "./fixtures/planted-topics";

const ctx = useEmulator();
const DIM = 64;
const ROWS = 6_000;
const corpus = plantedTopics({ rows: ROWS, dim: DIM, seed: 11 });
/** Each row's exchange hash, as the split gives it (hex SHA-256). */
const hashes = Array.from({ length: ROWS }, (_, row) => createHash("sha256").update(`exchange ${row}`).digest("hex"));
const priorities = hashes.map(samplePriority);

/** The corpus's samples as embed workers write them, one file per chunk of `chunkRows` rows. */
async function sampleFiles(prefix: string, chunkRows: number): Promise<SampleSource[]> {
  const sources: SampleSource[] = [];
  for (let first = 0; first < ROWS; first += chunkRows) {
    const sampled = Array.from({ length: Math.min(ROWS, first + chunkRows) - first }, (_, at) => first + at).filter((row) => inSample(priorities[row]!));
    const rows = new Float32Array(sampled.length * DIM);
    sampled.forEach((row, at) => rows.set(corpus.vectors.subarray(row * DIM, (row + 1) * DIM), at * DIM));
    const key = `${prefix}/chunk-${first}.sample.bin`;
    await putBytes(ctx.store, key, encodeSample(DIM, sampled.map((row) => priorities[row]!), rows));
    sources.push({ name: key, url: await presignGet(ctx.store, key, 60) });
  }
  return sources;
}

/** The clustering in this thread, fitted on exactly `sample` (row numbers, in order), assigning every row. */
function fittedHere(sample: readonly number[]) {
  const pass1 = createClusterAccumulator(DIM, { k: chooseK(ROWS), sampleSize: sample.length, expectedRows: sample.length });
  // The thread fits on the sample files' rows, which hold each float as its nearest binary16.
  for (const row of sample) pass1.add(corpus.vectors.subarray(row * DIM, (row + 1) * DIM).map((value) => halfValue(halfBits(value))));
  const pass2 = pass1.fit(ROWS);
  for (let row = 0; row < ROWS; row += 700) pass2.assign(corpus.vectors.subarray(row * DIM, Math.min(ROWS, row + 700) * DIM));
  return pass2.result();
}

/** The fit of `actual`, the same in every assignment and sum as that of `expected`, sent the same rows. */
async function expectSameFit(expected: ClusterThread, actual: ClusterThread): Promise<ClusterFit> {
  const [want, got] = await Promise.all([expected.result(), actual.result()]);
  expect([...got.assignments]).toEqual([...want.assignments]);
  expect([...got.sums]).toEqual([...want.sums]);
  return got;
}

describe("clustering samples", () => {
  it("take a quarter of the rows, by their hash alone, and read back as written", () => {
    const sampled = priorities.filter(inSample).length;
    expect(sampled / ROWS).toBeGreaterThan(SAMPLE_RATE - 0.03);
    expect(sampled / ROWS).toBeLessThan(SAMPLE_RATE + 0.03);
    expect(samplePriority("0000000f" + "0".repeat(56))).toBe(15);
    expect(() => samplePriority("not a hash")).toThrow(/not a hex SHA-256/);
    const rows = corpus.vectors.slice(0, 3 * DIM);
    const decoded = decodeSample(encodeSample(DIM, [7, 1, 99], rows), DIM);
    expect([...decoded.priorities]).toEqual([7, 1, 99]);
    // Kept as binary16: each float comes back as its nearest half, within 2^-11 of itself (2^-25 below 2^-14).
    const back = new Float32Array(3 * DIM);
    for (const row of [2, 0, 1]) decoded.rowInto(row, back, row * DIM);
    expect([...back]).toEqual([...rows].map((value) => halfValue(halfBits(value))));
    rows.forEach((value, at) => expect(Math.abs(back[at]! - value)).toBeLessThanOrEqual(Math.max(Math.abs(value) * 2 ** -11, 2 ** -25)));
    expect(() => decodeSample(encodeSample(DIM, [7, 1, 99], rows), DIM * 2)).toThrow(/64-dim rows/);
  });

  it("written as float32 by embed workers of before, still read, exactly", () => {
    const rows = corpus.vectors.slice(0, 2 * DIM);
    const before = encodeSections("CZSAMPLE\u0001\n", { dim: DIM, rows: 2, rate: SAMPLE_RATE }, { priorities: Uint32Array.of(5, 3), vectors: rows });
    const decoded = decodeSample(before, DIM);
    expect([...decoded.priorities]).toEqual([5, 3]);
    const back = new Float32Array(2 * DIM);
    decoded.rowInto(1, back, DIM);
    decoded.rowInto(0, back, 0);
    expect([...back]).toEqual([...rows]);
    const many = corpus.vectors.slice(0, 100 * DIM);
    const priorities = Array.from({ length: 100 }, (_, row) => row);
    const manyBefore = encodeSections("CZSAMPLE\u0001\n", { dim: DIM, rows: 100, rate: SAMPLE_RATE }, { priorities: Uint32Array.from(priorities), vectors: many });
    expect(encodeSample(DIM, priorities, many).length).toBeLessThan(0.55 * manyBefore.length);
  });
});

describe("the clustering thread", () => {
  it("runs the code a fresh build of lib/vectors/cluster-worker-main.ts gives (npm run build:workers)", async () => {
    expect(await readFile(GENERATED_FILE, "utf8")).toBe(await buildClusterWorkerSource());
  });

  it("fits on the samples' rows of lowest priority and assigns the rows it is sent as the clustering here does", async () => {
    const sources = await sampleFiles("users/thread", 1_000);
    // Fewer than the samples hold (~1,500), so the thread keeps only the lowest and fits on them in row order.
    const sampleSize = 400;
    const thread = startClusterThread({ dim: DIM, k: chooseK(ROWS), rows: ROWS, sampleSize, samples: sources });
    try {
      // Sent at once, as a merge's first blocks are: they wait for the fit.
      for (let row = 0; row < ROWS; row += 300) await thread.assign(corpus.vectors.subarray(row * DIM, Math.min(ROWS, row + 300) * DIM));
      const fit = await thread.result();
      const lowest = [...priorities.keys()].filter((row) => inSample(priorities[row]!)).sort((a, b) => priorities[a]! - priorities[b]! || a - b).slice(0, sampleSize).sort((a, b) => a - b);
      const expected = fittedHere(lowest);
      expect(fit.k).toBe(chooseK(ROWS));
      expect(fit.rows).toBe(ROWS);
      expect([...fit.assignments]).toEqual([...expected.assignments]);
      expect([...fit.sums]).toEqual([...expected.sums]);
      expect(fit.representatives).toEqual(expected.representatives);
      expect(fit.params.sampleSize).toBe(sampleSize);
    } finally {
      await thread.stop();
    }
  }, 60_000);

  it("reads its samples before it is told the clusters and rows, then fits as if told at the start", async () => {
    const sources = await sampleFiles("users/thread-told-later", 1_000);
    // The same files, served from here, so the test sees when the thread has read each.
    const bytes = new Map<string, Buffer>(await Promise.all(sources.map(async (source) => [`/${source.name}`, Buffer.from(await (await fetch(source.url)).arrayBuffer())] as const)));
    const read = new Set<string>();
    const server = http.createServer((request, response) => {
      read.add(request.url!);
      response.end(bytes.get(request.url!));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const local = sources.map((source) => ({ name: source.name, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${source.name}` }));
    const told = startClusterThread({ dim: DIM, k: chooseK(ROWS), rows: ROWS, sampleSize: 400, samples: sources });
    const later = startClusterThread({ dim: DIM, sampleSize: 400, samples: local });
    try {
      await vi.waitFor(() => expect(read.size).toBe(sources.length), { timeout: 30_000 });
      await expect(later.result()).rejects.toThrow(/asked for before its clusters and rows/);
      for (let row = 0; row < ROWS; row += 1_500) {
        await told.assign(corpus.vectors.subarray(row * DIM, (row + 1_500) * DIM));
        await later.assign(corpus.vectors.subarray(row * DIM, (row + 1_500) * DIM));
        // Told after its first rows came: they wait for the fit, as with a thread told at the start.
        if (row === 0) later.fit({ k: chooseK(ROWS), rows: ROWS });
      }
      expect(() => later.fit({ k: 3, rows: ROWS })).toThrow(/given its clusters and rows already/);
      expect((await expectSameFit(told, later)).k).toBe(chooseK(ROWS));
    } finally {
      await Promise.all([told.stop(), later.stop()]);
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);

  it("reads the rows it is sent as where they are in the store (a range of a .npy), a few ahead, and assigns them as if sent themselves", async () => {
    const sources = await sampleFiles("users/thread-stored", 1_000);
    const given = startClusterThread({ dim: DIM, k: chooseK(ROWS), rows: ROWS, sampleSize: 400, samples: sources });
    const stored = startClusterThread({ dim: DIM, k: chooseK(ROWS), rows: ROWS, sampleSize: 400, samples: sources });
    try {
      // Blocks of unequal sizes (the buffers the thread reads into are used again), some sent as rows.
      const sizes = [700, 1_300, 250, 1_500, 1_000, 1_250];
      let first = 0;
      for (const [at, size] of sizes.entries()) {
        const rows = corpus.vectors.slice(first * DIM, (first + size) * DIM);
        await given.assign(rows);
        if (at === 2) await stored.assign(rows);
        else {
          const npy = encodeNpy(rows, size, DIM);
          const key = `users/thread-stored/vectors-${first}.npy`;
          await putBytes(ctx.store, key, Buffer.from(npy));
          await stored.assignStored({ name: key, url: await presignGet(ctx.store, key, 60), start: npy.length - rows.byteLength, end: npy.length });
        }
        first += size;
      }
      expect(first).toBe(ROWS);
      await expectSameFit(given, stored);
    } finally {
      await Promise.all([given.stop(), stored.stop()]);
    }
  }, 60_000);

  it("takes blocks it reads from the store without waiting for its fit, more than the blocks of rows it holds", async () => {
    const sources = await sampleFiles("users/thread-stored-many", 1_000);
    const given = startClusterThread({ dim: DIM, k: chooseK(ROWS), rows: ROWS, sampleSize: 400, samples: sources });
    // Not told its clusters and rows yet, it cannot fit: every block sent waits.
    const stored = startClusterThread({ dim: DIM, sampleSize: 400, samples: sources });
    try {
      const npy = encodeNpy(corpus.vectors, ROWS, DIM);
      const key = "users/thread-stored-many/vectors.npy";
      await putBytes(ctx.store, key, Buffer.from(npy));
      const url = await presignGet(ctx.store, key, 60);
      const header = npy.length - corpus.vectors.byteLength;
      // 40 blocks of 150 rows: more than the 32 blocks of rows a thread holds while it fits.
      for (let first = 0; first < ROWS; first += 150) {
        await given.assign(corpus.vectors.subarray(first * DIM, (first + 150) * DIM));
        await stored.assignStored({ name: key, url, start: header + first * DIM * 4, end: header + (first + 150) * DIM * 4 });
      }
      stored.fit({ k: chooseK(ROWS), rows: ROWS });
      await expectSameFit(given, stored);
    } finally {
      await Promise.all([given.stop(), stored.stop()]);
    }
  }, 60_000);

  it("fails what waits on it when stored rows cannot be read, and refuses a range that is not whole rows", async () => {
    const thread = startClusterThread({ dim: DIM, k: 8, rows: ROWS, sampleSize: 1_000, samples: await sampleFiles("users/thread-stored-lost", 3_000) });
    try {
      const key = "users/thread-stored-lost/none.npy";
      const url = await presignGet(ctx.store, key, 60);
      await expect(thread.assignStored({ name: key, url, start: 128, end: 128 + DIM * 4 + 1 })).rejects.toThrow(/not whole rows of 64 floats/);
      await thread.assignStored({ name: key, url, start: 128, end: 128 + DIM * 4 });
      await expect(thread.result()).rejects.toThrow(/reading users\/thread-stored-lost\/none.npy for the clusters: the store answered 404/);
    } finally {
      await thread.stop();
    }
  }, 60_000);

  it("fails what waits on it when a sample cannot be read, instead of clustering without it", async () => {
    const sources = await sampleFiles("users/thread-lost", 3_000);
    const missing = { name: "users/thread-lost/none.sample.bin", url: await presignGet(ctx.store, "users/thread-lost/none.sample.bin", 60) };
    const thread = startClusterThread({ dim: DIM, k: 8, rows: ROWS, sampleSize: 1_000, samples: [sources[0]!, missing, sources[1]!] });
    try {
      await expect(thread.result()).rejects.toThrow(/reading users\/thread-lost\/none.sample.bin for the clusters: the store answered 404/);
      await expect(thread.assign(corpus.vectors.subarray(0, DIM))).rejects.toThrow(/answered 404/);
    } finally {
      await thread.stop();
    }
  }, 60_000);

  it("fails what waits on it with the reason it was stopped for", async () => {
    const thread = startClusterThread({ dim: DIM, k: 8, rows: ROWS, sampleSize: 1_000, samples: await sampleFiles("users/thread-stopped", 3_000) });
    await thread.stop(new Error("the merge failed"));
    await expect(thread.result()).rejects.toThrow("the merge failed");
    await expect(thread.assign(corpus.vectors.subarray(0, DIM))).rejects.toThrow("the merge failed");
  }, 60_000);
});
