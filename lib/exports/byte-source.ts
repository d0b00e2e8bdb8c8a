import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { Readable } from "node:stream";

/**
 * Where the bytes of an upload come from. The reader never assumes a local file: the pipeline streams
 * uploads out of object storage with ranged GETs, and zips are read through ranges (central directory
 * first, then one entry at a time), never downloaded whole.
 */
export interface ByteSource {
  /** A name hint only (e.g. the uploaded file name); detection is by content. */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /** A fresh stream of bytes [start, end); end defaults to size. */
  createReadStream(range?: { start: number; end?: number }): NodeJS.ReadableStream | Readable;
}

/** Large reads: fewer, bigger chunks make the JSON scanner and the inflater noticeably faster. */
const FILE_CHUNK_BYTES = 1 << 20;

/** A {@link ByteSource} over a local file (the CLI, tests, benchmarks). */
export async function fileByteSource(path: string): Promise<ByteSource> {
  const { size } = await stat(path);
  return {
    name: basename(path),
    size,
    createReadStream(range) {
      const start = range?.start ?? 0;
      const end = range?.end ?? size;
      if (end <= start) return Readable.from([]);
      // fs ranges are inclusive at the end; ByteSource ranges are half-open.
      return createReadStream(path, { start, end: end - 1, highWaterMark: FILE_CHUNK_BYTES });
    },
  };
}

/**
 * A {@link ByteSource} over bytes already in memory (tests, small uploads). `chunkBytes` splits every
 * stream into chunks of that size, so tests can put chunk boundaries anywhere.
 */
export function bufferByteSource(name: string, bytes: Uint8Array, options: { chunkBytes?: number } = {}): ByteSource {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunkBytes = Math.max(1, options.chunkBytes ?? FILE_CHUNK_BYTES);
  return {
    name,
    size: buffer.length,
    createReadStream(range) {
      const start = Math.min(range?.start ?? 0, buffer.length);
      const end = Math.min(range?.end ?? buffer.length, buffer.length);
      return Readable.from(chunksOf(buffer.subarray(start, Math.max(start, end)), chunkBytes));
    },
  };
}

function* chunksOf(buffer: Buffer, chunkBytes: number): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += chunkBytes) {
    yield buffer.subarray(offset, offset + chunkBytes);
  }
}
