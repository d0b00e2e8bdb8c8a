import { InvalidNpyError, InvalidVectorsError } from "./errors";
import { float32FromLeBytes, float32LeBytes, LITTLE_ENDIAN_HOST } from "./float32-le";
import { encodeNpyHeader, parseNpyHeader } from "./npy-header";

/**
 * NumPy `.npy` files of float32 vectors: the format of `vectors/nodes.npy`, one row per node in
 * `corpus/nodes.json` order. In-memory helpers live here; `npy-stream` holds the streaming writer and
 * reader used for files too large to hold twice; `npy-header` the preamble itself.
 */
export { encodeNpyHeader, NPY_HEAD_BYTES, npyByteLength, npyPreambleLength, npyRowCount, parseNpyHeader } from "./npy-header";
export type { NpyHeader } from "./npy-header";
export { npyChunks, readNpyRows } from "./npy-stream";
export type { NpyRowBatch, ReadNpyRowsOptions } from "./npy-stream";

/** A decoded float32 matrix: `data` is row-major, `rows × dim` long, in host byte order. */
export interface NpyMatrix {
  rows: number;
  dim: number;
  data: Float32Array;
}

/** A whole `.npy` file (numpy's exact v1.0 layout) for a row-major `rows × dim` matrix. */
export function encodeNpy(matrix: Float32Array, rows: number, dim: number): Uint8Array {
  if (matrix.length !== rows * dim) {
    throw new InvalidVectorsError(`matrix has ${matrix.length} floats, expected ${rows} × ${dim} = ${rows * dim}`);
  }
  const header = encodeNpyHeader(rows, dim);
  const out = new Uint8Array(header.length + matrix.byteLength);
  out.set(header, 0);
  out.set(float32LeBytes(matrix), header.length);
  return out;
}

/**
 * A `.npy` file of a `rows × dim` matrix to be filled in place: `data` (zeros at first) is a view of the
 * file's data section on a little-endian host, so `file()` is the file itself, with no second buffer and
 * copy of every vector (on a big-endian host, `file()` encodes `data`). The same bytes as
 * {@link encodeNpy} of `data`. The file is in memory `take` gives (zeroed here) when given, for a
 * caller that uses its buffers again (lib/buffer-pool.ts).
 */
export function npyMatrix(rows: number, dim: number, take?: (bytes: number) => Uint8Array): { data: Float32Array; file(): Uint8Array } {
  const header = encodeNpyHeader(rows, dim);
  if (!LITTLE_ENDIAN_HOST) {
    const data = new Float32Array(rows * dim);
    return { data, file: () => encodeNpy(data, rows, dim) };
  }
  // numpy aligns the data section to 64 bytes (npy-header.ts), so the view is aligned for floats when
  // the file starts on a 4-byte boundary of its memory.
  const bytes = header.length + rows * dim * 4;
  const taken = take?.(bytes);
  const file = taken && taken.length === bytes && taken.byteOffset % 4 === 0 ? taken : new Uint8Array(bytes);
  file.set(header, 0);
  const data = new Float32Array(file.buffer, file.byteOffset + header.length, rows * dim);
  if (file === taken) data.fill(0);
  return { data, file: () => file };
}

/**
 * {@link decodeNpy} without the copy where it can: the data is a view of `bytes` when its start is
 * 4-byte aligned on a little-endian host (this code's headers are 128 bytes, and a Buffer read from the
 * store starts its own ArrayBuffer), else a copy. The view shares `bytes`' memory: for bytes the caller
 * owns and no longer changes, such as a file just read. Saves a zeroed allocation and a copy of every
 * chunk's vectors in a merge.
 */
export function decodeNpyView(bytes: Uint8Array): NpyMatrix {
  const header = parseNpyHeader(bytes);
  const start = bytes.byteOffset + header.headerLength;
  if (!LITTLE_ENDIAN_HOST || start % 4 !== 0 || bytes.length - header.headerLength !== header.dataLength) return decodeNpy(bytes);
  return { rows: header.rows, dim: header.dim, data: new Float32Array(bytes.buffer, start, header.dataLength / 4) };
}

/**
 * Decodes a whole `.npy` file held in memory. The data section must be exactly rows × dim × 4 bytes:
 * trailing bytes mean the file is not what its header says, so they are an error rather than ignored.
 * The result owns its memory (a copy), so it is aligned whatever the header length was.
 */
export function decodeNpy(bytes: Uint8Array): NpyMatrix {
  const header = parseNpyHeader(bytes);
  const dataBytes = bytes.length - header.headerLength;
  if (dataBytes !== header.dataLength) {
    const problem = dataBytes < header.dataLength ? "truncated .npy data" : ".npy file has trailing bytes";
    throw new InvalidNpyError(`${problem}: ${dataBytes} data bytes, shape (${header.rows}, ${header.dim}) needs ${header.dataLength}`);
  }
  const data = float32FromLeBytes(bytes.subarray(header.headerLength));
  return { rows: header.rows, dim: header.dim, data };
}
