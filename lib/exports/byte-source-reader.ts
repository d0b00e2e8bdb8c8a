import { PassThrough, Readable } from "node:stream";
import yauzl from "yauzl";
import { streamBytes } from "../stream-bytes";
import type { ByteSource } from "./byte-source";

/** Reads at or below this size (headers, central directory records) are served from one cached block. */
const SMALL_READ_BYTES = 70 * 1024;
const BLOCK_BYTES = 512 * 1024;

/**
 * Errors raised by the byte source itself (a failed S3 GET, a vanished file). They are infrastructure
 * failures to retry, not a damaged upload, so the zip layer must not relabel them as `corrupt_zip`.
 */
const sourceErrors = new WeakSet<object>();

/** True when the error came from the byte source (to pass on unchanged), not from the zip's contents. */
export function isByteSourceError(error: unknown): boolean {
  return typeof error === "object" && error !== null && sourceErrors.has(error);
}

/**
 * yauzl's random access over a {@link ByteSource}: the zip is read through ranges (end of central
 * directory, central directory, each entry), never downloaded whole. yauzl reads the central directory
 * as two tiny reads per entry; over S3 that would be two GETs per file in the zip, so small reads are
 * served from a cached 512 KiB block instead.
 */
export class ByteSourceReader extends yauzl.RandomAccessReader {
  private block: { start: number; end: number; bytes: Promise<Buffer> } | null = null;

  constructor(
    private readonly source: ByteSource,
    private readonly onBytes: (bytes: number) => void,
  ) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    if (end - start > SMALL_READ_BYTES) return this.afterBlock(start, end);
    const output = new PassThrough();
    this.cachedRange(start, end).then(
      (bytes) => output.end(bytes),
      (error: unknown) => output.destroy(error as Error),
    );
    return output;
  }

  /**
   * A large read (an entry's data) usually starts inside the block its local header was read from:
   * those bytes are served from the block and only the rest is fetched, so no byte is read twice.
   */
  private afterBlock(start: number, end: number): Readable {
    const block = this.block;
    if (block === null || start < block.start || start >= block.end) return this.rangeStream(start, end);
    const output = new PassThrough({ highWaterMark: 1 << 20 });
    block.bytes.then(
      (bytes) => {
        output.write(bytes.subarray(start - block.start, Math.min(end, block.end) - block.start));
        if (end <= block.end) {
          output.end();
          return;
        }
        const rest = this.rangeStream(block.end, end);
        rest.on("error", (error) => output.destroy(error));
        output.on("close", () => rest.destroy());
        rest.pipe(output);
      },
      (error: unknown) => output.destroy(error as Error),
    );
    return output;
  }

  private rangeStream(start: number, end: number): Readable {
    const counted = new PassThrough();
    const fail = (error: Error): void => {
      sourceErrors.add(error);
      counted.destroy(error);
    };
    let stream: Readable;
    try {
      stream = this.source.createReadStream({ start, end }) as Readable;
    } catch (error) {
      // Reported asynchronously, as a stream error: yauzl does not expect _readStreamForRange to throw.
      setImmediate(() => fail(error as Error));
      return counted;
    }
    stream.on("data", (chunk: Buffer) => this.onBytes(chunk.length));
    stream.on("error", fail);
    return stream.pipe(counted);
  }

  private async cachedRange(start: number, end: number): Promise<Buffer> {
    if (this.block === null || start < this.block.start || end > this.block.end) {
      const blockEnd = Math.min(this.source.size, Math.max(end, start + BLOCK_BYTES));
      this.block = { start, end: blockEnd, bytes: streamBytes(this.rangeStream(start, blockEnd)) };
    }
    const block = this.block;
    const bytes = await block.bytes;
    return bytes.subarray(start - block.start, end - block.start);
  }
}

/** The first bytes of a source, to tell a zip from JSON before choosing how to read it. */
export async function readHead(source: ByteSource, length: number): Promise<Buffer> {
  const end = Math.min(source.size, length);
  if (end === 0) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of source.createReadStream({ start: 0, end })) chunks.push(Buffer.from(chunk as Buffer));
  } catch (error) {
    if (typeof error === "object" && error !== null) sourceErrors.add(error);
    throw error;
  }
  return Buffer.concat(chunks).subarray(0, end);
}
