import { createHash, type Hash } from "node:crypto";
import { Transform, type Readable } from "node:stream";
import type { ByteSource } from "./byte-source";

/** A {@link ByteSource} that fingerprints the bytes read through it. */
export interface DigestingSource {
  source: ByteSource;
  /**
   * After a successful read: the file's SHA-256 (hex) when one read covered the whole file (a bare JSON
   * export), else `ranges:` and a SHA-256 over the size and every range read, in order, with its bytes'
   * own SHA-256 (a zip, read through its central directory and the entries it imports). `null` when a
   * read ended early.
   */
  digest(): string | null;
}

interface Read {
  start: number;
  end: number;
  hash: Hash;
  bytes: number;
  hex: string | null;
}

/**
 * Wraps a byte source so the split can recognise a re-upload of a file it already imported without
 * reading it a second time: the fingerprint comes out of the parse's own reads. Two uploads with the
 * same fingerprint gave the reader the same bytes at the same offsets, so they hold the same records;
 * for a bare JSON file it is the plain SHA-256 of the file, as before.
 */
export function digestingByteSource(source: ByteSource): DigestingSource {
  const reads: Read[] = [];
  const wrapped: ByteSource = {
    name: source.name,
    size: source.size,
    createReadStream(range) {
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? source.size, source.size);
      const read: Read = { start, end, hash: createHash("sha256"), bytes: 0, hex: null };
      reads.push(read);
      const inner = source.createReadStream(range) as Readable;
      const out = new Transform({
        readableHighWaterMark: 1 << 20,
        writableHighWaterMark: 1 << 20,
        transform(chunk: Buffer, _encoding, done) {
          read.hash.update(chunk);
          read.bytes += chunk.length;
          done(null, chunk);
        },
        flush(done) {
          if (read.bytes === Math.max(0, end - start)) read.hex = read.hash.digest("hex");
          done();
        },
      });
      // pipe() forwards neither errors nor an early stop: the same error object goes on (the zip layer
      // recognises a source's errors by identity), and a consumer that stops reading stops the source.
      inner.on("error", (error) => out.destroy(error));
      out.on("close", () => inner.destroy?.());
      return inner.pipe(out);
    },
  };
  return {
    source: wrapped,
    digest() {
      const whole = reads.find((read) => read.start === 0 && read.end === source.size && read.hex !== null);
      if (whole) return whole.hex;
      if (reads.length === 0 || reads.some((read) => read.hex === null)) return null;
      const combined = createHash("sha256").update(`${source.size}\n`);
      for (const read of reads) combined.update(`${read.start}-${read.end}:${read.hex}\n`);
      return `ranges:${combined.digest("hex")}`;
    },
  };
}
