import { InvalidNpyError } from "./errors";

/**
 * The `.npy` preamble, format version 1.0, as numpy's `lib/format.py` defines it
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html): magic `\x93NUMPY`, the
 * version bytes `1 0`, the header length as u16 LE, then a Python dict literal padded with spaces and
 * ended by `\n` so that the data starts on a 64-byte boundary. Only files this code wrote are read
 * (`vectors/nodes.npy`), so the reader accepts exactly the header `encodeNpyHeader` writes, which is
 * also the one `numpy.save` writes for a C-order float32 matrix.
 */
const NPY_MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);
/** numpy's `ARRAY_ALIGN`: the preamble it writes is always a multiple of this. */
const NPY_ALIGN = 64;
/** numpy's `GROWTH_AXIS_MAX_DIGITS`: since 1.24 it leaves this much room so shape[0] can grow in place. */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** Enough of an .npy's start to hold its preamble (this code's headers are 128 bytes). */
export const NPY_HEAD_BYTES = 4096;
/** Bytes needed to know the preamble length: magic, version, and the u16 length field. */
const NPY_MIN_PREFIX = 10;
const FLOAT32_DESCR = "<f4";
/** The dict `encodeNpyHeader` writes, then its padding. */
const HEADER_DICT = /^\{'descr': '<f4', 'fortran_order': False, 'shape': \((\d+), (\d+)\), \} *\n$/;

/** What `parseNpyHeader` learns from a preamble. */
export interface NpyHeader {
  /** Total preamble bytes (magic + version + length field + dict): the offset of the first data byte. */
  headerLength: number;
  /** Matrix rows (shape[0]). */
  rows: number;
  /** Floats per row (shape[1]). */
  dim: number;
  /** Bytes in the data section: rows × dim × 4. */
  dataLength: number;
}

/**
 * The exact preamble `numpy.save` (≥ 1.24, format 1.0) writes for a C-order `<f4` array of shape
 * (rows, dim), including the spare spaces numpy reserves for growing shape[0] in place.
 */
export function encodeNpyHeader(rows: number, dim: number): Uint8Array {
  assertCount("rows", rows);
  assertCount("dim", dim);
  let dict = `{'descr': '${FLOAT32_DESCR}', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  dict += " ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(rows).length));
  // numpy's _wrap_header: pad = ARRAY_ALIGN - ((8 + 2 + len + 1) % 64), which is a full 64 when aligned.
  const withNewline = dict.length + 1;
  const pad = NPY_ALIGN - ((NPY_MAGIC.length + 2 + 2 + withNewline) % NPY_ALIGN);
  const headerLen = withNewline + pad;
  const out = new Uint8Array(NPY_MAGIC.length + 2 + 2 + headerLen).fill(0x20);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = headerLen & 0xff;
  out[9] = headerLen >>> 8;
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  out[out.length - 1] = 0x0a;
  return out;
}

/** Size of the whole `.npy` file `encodeNpyHeader` + rows × dim floats make (e.g. for a Content-Length). */
export function npyByteLength(rows: number, dim: number): number {
  return encodeNpyHeader(rows, dim).length + rows * dim * 4;
}

/**
 * The preamble length declared by the first bytes of a file, or `undefined` if fewer than
 * `NPY_MIN_PREFIX` bytes are given. Throws as soon as the magic or version is wrong, so a stream
 * reader fails on its first chunk.
 */
export function npyPreambleLength(bytes: Uint8Array): number | undefined {
  const available = Math.min(bytes.length, NPY_MAGIC.length);
  for (let i = 0; i < available; i++) {
    if (bytes[i] !== NPY_MAGIC[i]) throw new InvalidNpyError("not an .npy file: the magic string \\x93NUMPY is missing");
  }
  if (bytes.length < 8) return undefined;
  if (bytes[6] !== 1 || bytes[7] !== 0) throw new InvalidNpyError(`.npy format version ${bytes[6]}.${bytes[7]} is not the 1.0 this code writes`);
  if (bytes.length < NPY_MIN_PREFIX) return undefined;
  return NPY_MIN_PREFIX + (bytes[8]! | (bytes[9]! << 8));
}

/**
 * Parses and validates a preamble. `bytes` must hold at least the whole preamble (extra data bytes after
 * it are ignored). Throws `InvalidNpyError` for truncated input or any header other than the float32
 * matrix header `encodeNpyHeader` writes.
 */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  const headerLength = npyPreambleLength(bytes);
  if (headerLength === undefined || bytes.length < headerLength) {
    throw new InvalidNpyError(`truncated .npy header: got ${bytes.length} bytes${headerLength ? ` of ${headerLength}` : ""}`);
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + NPY_MIN_PREFIX, headerLength - NPY_MIN_PREFIX).toString("latin1");
  const match = HEADER_DICT.exec(text);
  if (!match) {
    throw new InvalidNpyError(`.npy header is not the ${FLOAT32_DESCR} C-order matrix header this code writes: ${JSON.stringify(text.trimEnd().slice(0, 200))}`);
  }
  const rows = Number(match[1]);
  const dim = Number(match[2]);
  if (!Number.isSafeInteger(rows * dim * 4)) throw new InvalidNpyError(`npy shape (${rows}, ${dim}) is too large`);
  return { headerLength, rows, dim, dataLength: rows * dim * 4 };
}

/** Rows declared by a `.npy` preamble (the first shape entry), for checking against `corpus/nodes.json`. */
export function npyRowCount(headerBytes: Uint8Array): number {
  return parseNpyHeader(headerBytes).rows;
}

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}
