import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeNpy, encodeNpy, npyChunks, readNpyRows } from "../../lib/vectors/npy";
import type { NpyRowBatch } from "../../lib/vectors/npy";

const matrix = (rows: number, dim: number) => Float32Array.from({ length: rows * dim }, (_, i) => Math.fround(Math.sin(i) * 10));

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

async function* chunked(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield bytes.subarray(start, cut);
    start = cut;
  }
  yield bytes.subarray(start);
}

function joinBatches(batches: NpyRowBatch[]): Float32Array {
  const out = new Float32Array(batches.reduce((n, b) => n + b.rows.length, 0));
  let at = 0;
  for (const batch of batches) {
    out.set(batch.rows, at);
    at += batch.rows.length;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

describe("npyChunks", () => {
  it("yields the header then the row bytes, together equal to encodeNpy", async () => {
    const data = matrix(10, 3);
    async function* blocks() {
      yield data.subarray(0, 6);
      yield [data.subarray(6, 9), data.subarray(9, 30)];
    }
    const parts = await collect(npyChunks(10, 3, blocks()));
    expect(parts).toHaveLength(4);
    expect(concat(parts)).toEqual(encodeNpy(data, 10, 3));
  });

  it("writes only a header for an empty matrix", async () => {
    const parts = await collect(npyChunks(0, 1024, []));
    expect(decodeNpy(concat(parts))).toMatchObject({ rows: 0, dim: 1024 });
  });

  it("refuses a block that is not a whole number of rows", async () => {
    await expect(collect(npyChunks(2, 3, [new Float32Array(4)]))).rejects.toThrow(/not a whole number of 3-float rows/);
  });

  it("refuses a source with fewer rows than the header declares", async () => {
    await expect(collect(npyChunks(3, 2, [new Float32Array(4)]))).rejects.toThrow(/yielded 2 rows, the header declares 3/);
  });

  it("refuses a source with more rows than the header declares", async () => {
    await expect(collect(npyChunks(1, 2, [new Float32Array(4)]))).rejects.toThrow(/more than the 1 rows/);
  });
});

describe("readNpyRows", () => {
  it("yields batches of the requested size with their row offsets", async () => {
    const bytes = encodeNpy(matrix(10, 4), 10, 4);
    const batches = await collect(readNpyRows(chunked(bytes, []), { batchRows: 4 }));
    expect(batches.map((b) => [b.offset, b.count, b.rows.length])).toEqual([[0, 4, 16], [4, 4, 16], [8, 2, 8]]);
    expect(batches.every((b) => b.dim === 4 && b.totalRows === 10)).toBe(true);
  });

  it("reassembles the matrix whatever offsets the stream is cut at", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (rows, dim, batchRows, rawCuts) => {
          const data = matrix(rows, dim);
          const bytes = encodeNpy(data, rows, dim);
          const cuts = rawCuts.map((c) => c % (bytes.length + 1));
          const batches = await collect(readNpyRows(chunked(bytes, cuts), { batchRows }));
          expect(joinBatches(batches)).toEqual(data);
          expect(batches.reduce((n, b) => n + b.count, 0)).toBe(rows);
          batches.forEach((b, i) => expect(b.offset).toBe(i * batchRows));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads a stream delivered one byte at a time, splitting every float", async () => {
    const data = matrix(3, 3);
    const bytes = encodeNpy(data, 3, 3);
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    const batches = await collect(readNpyRows(chunked(bytes, cuts), { batchRows: 2 }));
    expect(joinBatches(batches)).toEqual(data);
  });

  it("reads back what npyChunks writes, row counts agreeing with the header", async () => {
    const data = matrix(50, 8);
    const written = npyChunks(50, 8, [data.subarray(0, 80), data.subarray(80)]);
    const batches = await collect(readNpyRows(written, { batchRows: 16 }));
    expect(batches.at(-1)).toMatchObject({ offset: 48, count: 2, totalRows: 50 });
    expect(joinBatches(batches)).toEqual(data);
  });

  it("yields nothing for an empty matrix", async () => {
    expect(await collect(readNpyRows(chunked(encodeNpy(new Float32Array(0), 0, 16), [3])))).toEqual([]);
  });

  it("fails on a stream that ends inside the header", async () => {
    const bytes = encodeNpy(matrix(2, 2), 2, 2);
    await expect(collect(readNpyRows(chunked(bytes.subarray(0, 50), [7])))).rejects.toThrow(/ended inside the header after 50 bytes/);
  });

  it("fails on a stream that ends inside the data, after yielding the whole batches", async () => {
    const bytes = encodeNpy(matrix(4, 2), 4, 2);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const batch of readNpyRows(chunked(bytes.subarray(0, bytes.length - 3), [130]), { batchRows: 1 })) seen.push(batch.offset);
    })();
    await expect(reading).rejects.toThrow(/truncated .npy data: got 29 of 32 bytes \(3 whole rows of 4\)/);
    expect(seen).toEqual([0, 1, 2]);
  });

  it("fails on bytes past the declared data", async () => {
    const bytes = encodeNpy(matrix(1, 2), 1, 2);
    await expect(collect(readNpyRows(extra(bytes)))).rejects.toThrow(/bytes past the 1 rows/);
  });

  it("fails on garbage before reading further", async () => {
    async function* garbage() {
      yield new TextEncoder().encode("<html>503 Service Unavailable</html>");
    }
    await expect(collect(readNpyRows(garbage()))).rejects.toThrow(expect.objectContaining({ code: "invalid_npy" }));
  });
});

async function* extra(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
  yield Uint8Array.of(0, 0, 0, 0);
}
