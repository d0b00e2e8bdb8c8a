import { decodeSections, encodeSections, view } from "../search/binary-sections";

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

const MAGIC = "CZSAMPLE\u0001\n";

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

/** The sample file of rows `rows` (row-major, `dim` floats each) with their priorities. */
export function encodeSample(dim: number, priorities: readonly number[], rows: Float32Array): Buffer {
  if (rows.length !== priorities.length * dim) throw new Error(`${priorities.length} priorities for ${rows.length / dim} rows of ${dim}`);
  return encodeSections(MAGIC, { dim, rows: priorities.length, rate: SAMPLE_RATE } satisfies SampleHeader, { priorities: Uint32Array.from(priorities), vectors: rows });
}

export interface ChunkSample {
  priorities: Uint32Array;
  /** Row-major, `dim` floats per row. */
  vectors: Float32Array;
}

/** A sample file's rows, checked against `dim` and the rate this code samples at. */
export function decodeSample(bytes: Uint8Array, dim: number): ChunkSample {
  const { header, sections } = decodeSections<SampleHeader>(MAGIC, bytes);
  if (header.dim !== dim || header.rate !== SAMPLE_RATE) throw new Error(`a sample of ${header.dim}-dim rows at rate ${header.rate}, expected ${dim} at ${SAMPLE_RATE}`);
  const priorities = view(Uint32Array, sections.priorities!);
  const vectorBytes = sections.vectors!;
  if (priorities.length !== header.rows || vectorBytes.byteLength !== header.rows * dim * 4) throw new Error(`a sample file's sections do not hold its ${header.rows} rows`);
  // Sections start on 8-byte boundaries, so the floats are viewed in place.
  const vectors = new Float32Array(vectorBytes.buffer, vectorBytes.byteOffset, header.rows * dim);
  return { priorities, vectors };
}
