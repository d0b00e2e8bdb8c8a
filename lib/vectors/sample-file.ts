import { decodeSections, encodeSections, view } from "../search/binary-sections";
import { halvesInto, toHalves } from "./half-float";

/**
 * A chunk's clustering sample: the vectors of the rows whose priority is under {@link SAMPLE_RATE}, each
 * with its priority. A row's priority is the first 32 bits of its exchange's SHA-256 (uniform, and the
 * same wherever the row is), so the rows of every chunk under one threshold are a uniform random
 * sample of the upload, and the `n` of lowest priority among them are a uniform sample of `n` (a
 * bottom-k sample: Cohen & Kaplan, "Summarizing data using bottom-k sketches", PODC 2007). Embed
 * workers write one per chunk of a large upload, so its merge can fit the topic clusters before the
 * rows stream past, instead of after (lib/vectors/cluster-thread.ts).
 */
export const SAMPLE_RATE = 0.25;

/**
 * The file's magic: version 2 keeps the vectors as binary16 (lib/vectors/half-float.ts), half the bytes
 * of version 1's float32 for embed workers to write and the merge's clustering thread to read (25,000
 * rows, 104 MB in float32, for a 100,000-exchange upload). The fit, which is all a sample is for, sees
 * each component within 2^-11 of itself; the rows it assigns are the full vectors. Version 1 files
 * (written by embed workers of before) are still read.
 */
const MAGIC = "CZSAMPLE\u0002\n";
const MAGIC_FLOAT32 = "CZSAMPLE\u0001\n";

interface SampleHeader {
  dim: number;
  rows: number;
  rate: number;
}

/** Priority of a row, from its exchange's hex SHA-256: its first 32 bits. */
export function samplePriority(hash: string): number {
  const priority = Number.parseInt(hash.slice(0, 8), 16);
  if (!/^[0-9a-f]{8}/.test(hash) || !Number.isSafeInteger(priority)) throw new Error(`${JSON.stringify(hash)} is not a hex SHA-256`);
  return priority;
}

/** Whether a row of this priority is in the sample. */
export function inSample(priority: number): boolean {
  return priority < SAMPLE_RATE * 2 ** 32;
}

/** The sample file of rows `rows` (row-major, `dim` floats each, stored as binary16) with their priorities. */
export function encodeSample(dim: number, priorities: readonly number[], rows: Float32Array): Buffer {
  if (rows.length !== priorities.length * dim) throw new Error(`${priorities.length} priorities for ${rows.length / dim} rows of ${dim}`);
  return encodeSections(MAGIC, { dim, rows: priorities.length, rate: SAMPLE_RATE } satisfies SampleHeader, { priorities: Uint32Array.from(priorities), vectors: toHalves(rows) });
}

export interface ChunkSample {
  priorities: Uint32Array;
  /** Writes row `row`'s `dim` floats into `into` from `at` (converted from binary16, or copied). */
  rowInto(row: number, into: Float32Array, at: number): void;
}

/**
 * A sample file's rows, checked against `dim` and the rate this code samples at. They stay in the file's
 * bytes (viewed in place: sections start on 8-byte boundaries) until {@link ChunkSample.rowInto} takes one,
 * so a reader that keeps only some rows converts only those.
 */
export function decodeSample(bytes: Uint8Array, dim: number): ChunkSample {
  const halves = bytes.length >= MAGIC.length && Buffer.from(bytes.buffer, bytes.byteOffset, MAGIC.length).toString("latin1") === MAGIC;
  const { header, sections } = decodeSections<SampleHeader>(halves ? MAGIC : MAGIC_FLOAT32, bytes);
  if (header.dim !== dim || header.rate !== SAMPLE_RATE) throw new Error(`a sample of ${header.dim}-dim rows at rate ${header.rate}, expected ${dim} at ${SAMPLE_RATE}`);
  const priorities = view(Uint32Array, sections.priorities!);
  const vectorBytes = sections.vectors!;
  if (priorities.length !== header.rows || vectorBytes.byteLength !== header.rows * dim * (halves ? 2 : 4)) throw new Error(`a sample file's sections do not hold its ${header.rows} rows`);
  if (halves) {
    const vectors = view(Uint16Array, vectorBytes);
    return { priorities, rowInto: (row, into, at) => halvesInto(vectors.subarray(row * dim, (row + 1) * dim), into, at) };
  }
  const vectors = view(Float32Array, vectorBytes);
  return { priorities, rowInto: (row, into, at) => into.set(vectors.subarray(row * dim, (row + 1) * dim), at) };
}
