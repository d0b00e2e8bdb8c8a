import { InvalidNpyError, InvalidVectorsError } from "./errors";
import { LITTLE_ENDIAN_HOST, float32LeBytes, swapFloat32Bytes } from "./float32-le";
import { encodeNpyHeader, npyPreambleLength, parseNpyHeader } from "./npy-header";
import type { NpyHeader } from "./npy-header";

type RowSource = AsyncIterable<Float32Array | Float32Array[]> | Iterable<Float32Array | Float32Array[]>;

/**
 * Streams a `.npy` file: yields numpy's v1.0 header for (rows, dim), then the little-endian bytes of each
 * row-major block the source yields (any number of whole rows per block). Nothing is buffered, so a
 * 400 MB matrix can go straight into a multipart upload (`Readable.from(npyChunks(...))` as the Body of
 * `@aws-sdk/lib-storage`'s `Upload`). On little-endian hosts the yielded bytes are views of the source's
 * memory: do not overwrite a block after yielding it. Throws `InvalidVectorsError` if a block is not a
 * whole number of rows or the source ends with a different row count than the header promised.
 */
export async function* npyChunks(rows: number, dim: number, source: RowSource): AsyncGenerator<Uint8Array> {
  yield encodeNpyHeader(rows, dim);
  let written = 0;
  for await (const item of source) {
    for (const block of Array.isArray(item) ? item : [item]) {
      if (block.length === 0) continue;
      if (dim === 0 || block.length % dim !== 0) {
        throw new InvalidVectorsError(`a block of ${block.length} floats is not a whole number of ${dim}-float rows`);
      }
      written += block.length / dim;
      if (written > rows) throw new InvalidVectorsError(`source yielded more than the ${rows} rows the header declares`);
      yield float32LeBytes(block);
    }
  }
  if (written !== rows) throw new InvalidVectorsError(`source yielded ${written} rows, the header declares ${rows}`);
}

/** One batch of consecutive rows from `readNpyRows`. */
export interface NpyRowBatch {
  /** Index of the batch's first row in the file. */
  offset: number;
  /** Rows in this batch (the last batch may be short). */
  count: number;
  /** `count × dim` floats, row-major, host byte order. Owned by the caller: never reused. */
  rows: Float32Array;
  dim: number;
  /** Rows in the whole file, from the header. */
  totalRows: number;
}

export interface ReadNpyRowsOptions {
  /** Rows per yielded batch; default 1024 (4 MB at 1024 dims). */
  batchRows?: number;
}

/**
 * Reads a `.npy` byte stream (e.g. an S3 GetObject body) as batches of whole rows. The header is parsed
 * from however many chunks it spans; data chunks may split a row or a single float anywhere. An empty
 * matrix yields no batches. Throws `InvalidNpyError` on a bad header, a stream that ends early, or bytes
 * past the end of the declared data.
 */
export async function* readNpyRows(
  stream: AsyncIterable<Uint8Array>,
  options: ReadNpyRowsOptions = {},
): AsyncGenerator<NpyRowBatch> {
  const batchRows = options.batchRows ?? 1024;
  if (!Number.isSafeInteger(batchRows) || batchRows < 1) throw new RangeError(`batchRows must be a positive integer, got ${batchRows}`);
  let head: Uint8Array = new Uint8Array(0);
  let header: NpyHeader | undefined;
  let batch: RowBatchBuffer | undefined;
  let nextRow = 0;
  for await (const chunk of stream) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError("readNpyRows expects a stream of bytes (Uint8Array or Buffer)");
    let data = chunk;
    if (!header) {
      head = concatBytes(head, chunk);
      const preamble = npyPreambleLength(head);
      if (preamble === undefined || head.length < preamble) continue;
      header = parseNpyHeader(head.subarray(0, preamble));
      data = head.subarray(preamble);
      head = new Uint8Array(0);
    }
    let pos = 0;
    while (pos < data.length) {
      if (!batch) {
        if (nextRow >= header.rows) throw new InvalidNpyError(`.npy stream has bytes past the ${header.rows} rows its header declares`);
        batch = new RowBatchBuffer(nextRow, Math.min(batchRows, header.rows - nextRow), header.dim);
      }
      pos += batch.fill(data, pos);
      if (batch.full) {
        yield batch.take(header.rows);
        nextRow += batch.count;
        batch = undefined;
      }
    }
  }
  if (!header) throw new InvalidNpyError(`truncated .npy stream: ended inside the header after ${head.length} bytes`);
  if (nextRow < header.rows) {
    const got = nextRow * header.dim * 4 + (batch?.filledBytes ?? 0);
    throw new InvalidNpyError(`truncated .npy data: got ${got} of ${header.dataLength} bytes (${nextRow} whole rows of ${header.rows})`);
  }
}

/** A batch being filled from byte chunks; floats may arrive split across chunks, so it fills by bytes. */
class RowBatchBuffer {
  readonly rows: Float32Array;
  private readonly bytes: Uint8Array;
  filledBytes = 0;

  constructor(
    readonly offset: number,
    readonly count: number,
    readonly dim: number,
  ) {
    this.rows = new Float32Array(count * dim);
    this.bytes = new Uint8Array(this.rows.buffer);
  }

  get full(): boolean {
    return this.filledBytes === this.bytes.length;
  }

  /** Copies as much of `data[from..]` as fits; returns the number of bytes taken. */
  fill(data: Uint8Array, from: number): number {
    const n = Math.min(data.length - from, this.bytes.length - this.filledBytes);
    this.bytes.set(data.subarray(from, from + n), this.filledBytes);
    this.filledBytes += n;
    return n;
  }

  take(totalRows: number): NpyRowBatch {
    if (!LITTLE_ENDIAN_HOST) swapFloat32Bytes(this.bytes);
    return { offset: this.offset, count: this.count, rows: this.rows, dim: this.dim, totalRows };
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
