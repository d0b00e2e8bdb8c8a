import { InvalidNpyError, UnsupportedNpyError } from "./errors";
import { parsePythonLiteral } from "./python-literal";
import type { PyValue } from "./python-literal";

/**
 * The `.npy` preamble, as numpy's `lib/format.py` defines it: magic `\x93NUMPY`, a major and a minor
 * version byte, the header length (u16 LE in 1.0, u32 LE in 2.0 and 3.0), then a Python dict literal
 * padded with spaces and ended by `\n` so that the data starts on a 64-byte boundary. Version 3.0 is
 * 2.0 with a UTF-8 header instead of latin-1.
 */
export const NPY_MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);
/** numpy's `ARRAY_ALIGN`: the preamble it writes is always a multiple of this. */
export const NPY_ALIGN = 64;
/** numpy's `GROWTH_AXIS_MAX_DIGITS`: since 1.24 it leaves this much room so shape[0] can grow in place. */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** Bytes needed to know the preamble length: magic, version, and the widest (u32) length field. */
export const NPY_MIN_PREFIX = 12;
/** A float32 matrix header is ~120 bytes; anything near this bound is hostile or not a vector file. */
const MAX_HEADER_BYTES = 1 << 20;
const FLOAT32_DESCR = "<f4";
const EXPECTED_KEYS = ["descr", "fortran_order", "shape"];

export type NpyVersion = "1.0" | "2.0" | "3.0";

/** What `parseNpyHeader` learns from a preamble. */
export interface NpyHeader {
  version: NpyVersion;
  /** Total preamble bytes (magic + version + length field + dict): the offset of the first data byte. */
  headerLength: number;
  descr: string;
  fortranOrder: boolean;
  /** As written in the file: `[N, D]`, or `[0]` for an empty vector list. */
  shape: number[];
  /** Matrix rows (shape[0]). */
  rows: number;
  /** Floats per row (shape[1]; 0 for the 1-D empty shape `(0,)`). */
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
 * `NPY_MIN_PREFIX` bytes are given (or the file is shorter and its length field is not complete yet).
 * Throws as soon as the magic or version is wrong, so a stream reader fails on its first chunk.
 */
export function npyPreambleLength(bytes: Uint8Array): number | undefined {
  const available = Math.min(bytes.length, NPY_MAGIC.length);
  for (let i = 0; i < available; i++) {
    if (bytes[i] !== NPY_MAGIC[i]) throw new InvalidNpyError("not an .npy file: the magic string \\x93NUMPY is missing");
  }
  if (bytes.length < 8) return undefined;
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (minor !== 0 || major < 1 || major > 3) {
    throw new UnsupportedNpyError(`unsupported .npy format version ${major}.${minor} (1.0, 2.0 and 3.0 are read)`);
  }
  const fieldBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + fieldBytes) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8 + fieldBytes);
  const dictLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (dictLength > MAX_HEADER_BYTES) {
    throw new InvalidNpyError(`npy header length ${dictLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  return 8 + fieldBytes + dictLength;
}

/**
 * Parses and validates a preamble. `bytes` must hold at least the whole preamble (extra data bytes after
 * it are ignored). Accepts any header length and spacing a valid writer may use, not only numpy's own.
 * Throws `InvalidNpyError` for truncated or malformed input and `UnsupportedNpyError` for valid files
 * that are not a little-endian, C-order float32 matrix.
 */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  const headerLength = npyPreambleLength(bytes);
  if (headerLength === undefined || bytes.length < headerLength) {
    throw new InvalidNpyError(`truncated .npy header: got ${bytes.length} bytes${headerLength ? ` of ${headerLength}` : ""}`);
  }
  const major = bytes[6]!;
  const start = major === 1 ? 10 : 12;
  const text = decodeHeaderText(bytes.subarray(start, headerLength), major);
  const dict = parsePythonLiteral(text);
  if (!(dict instanceof Map)) throw new InvalidNpyError("npy header is not a dict literal");
  const keys = [...dict.keys()].sort();
  if (keys.join() !== EXPECTED_KEYS.join()) {
    throw new InvalidNpyError(`npy header keys are [${keys.join(", ")}], expected [${EXPECTED_KEYS.join(", ")}]`);
  }
  const descr = dict.get("descr");
  const fortranOrder = dict.get("fortran_order");
  const shape = dict.get("shape");
  if (typeof fortranOrder !== "boolean") throw new InvalidNpyError("npy header: fortran_order is not True or False");
  const dims = checkShape(shape);
  if (descr !== FLOAT32_DESCR) {
    throw new UnsupportedNpyError(`unsupported dtype ${describe(descr)}: only little-endian float32 ('<f4') is read`, {
      descr: typeof descr === "string" ? descr : describe(descr),
    });
  }
  if (fortranOrder) throw new UnsupportedNpyError("unsupported .npy layout: fortran_order is True (C order is read)");
  const [rows, dim] = matrixShape(dims);
  return {
    version: `${major}.0` as NpyVersion,
    headerLength,
    descr,
    fortranOrder,
    shape: dims,
    rows,
    dim,
    dataLength: rows * dim * 4,
  };
}

/** Rows declared by a `.npy` preamble (the first shape entry), for checking against `corpus/nodes.json`. */
export function npyRowCount(headerBytes: Uint8Array): number {
  return parseNpyHeader(headerBytes).rows;
}

function decodeHeaderText(bytes: Uint8Array, major: number): string {
  if (major === 3) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (cause) {
      throw new InvalidNpyError("npy 3.0 header is not valid UTF-8", { cause: String(cause) });
    }
  }
  // Versions 1.0 and 2.0 are latin-1, where every byte is the code point of the same value.
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

function checkShape(shape: PyValue | undefined): number[] {
  if (!Array.isArray(shape) || !shape.every((n) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0)) {
    throw new InvalidNpyError(`npy header: shape ${describe(shape)} is not a tuple of non-negative integers`);
  }
  return shape as number[];
}

/** An N × D matrix, or the empty forms `(0, D)` and `(0,)`. `(N, 0)` with N > 0 holds no vectors. */
function matrixShape(dims: number[]): [number, number] {
  const [rows, dim] = dims;
  if (dims.length === 1 && rows === 0) return [0, 0];
  if (dims.length !== 2 || rows === undefined || dim === undefined) {
    throw new UnsupportedNpyError(`unsupported shape (${dims.join(", ")}): expected a 2-D matrix (rows, dim)`);
  }
  if (dim === 0 && rows > 0) throw new UnsupportedNpyError(`unsupported shape (${rows}, 0): rows of zero floats`);
  if (!Number.isSafeInteger(rows * dim * 4)) throw new InvalidNpyError(`npy shape (${rows}, ${dim}) is too large`);
  return [rows, dim];
}

function describe(value: PyValue | undefined): string {
  if (value instanceof Map) return "a dict";
  if (typeof value === "string") return `'${value}'`;
  return JSON.stringify(value) ?? "nothing";
}

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}
