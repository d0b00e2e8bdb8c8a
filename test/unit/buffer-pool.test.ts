import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createBufferPool } from "../../lib/buffer-pool";
import { streamBytesInto } from "../../lib/stream-bytes";
import { decodeNpy, encodeNpy, npyMatrix } from "../../lib/vectors/npy";

describe("buffer pool", () => {
  it("hands a buffer given back out again for a request it fits, the smallest that fits first", () => {
    const pool = createBufferPool({ keep: 4 });
    const large = pool.take(3 << 20);
    const small = pool.take(100);
    expect(large.length).toBe(3 << 20);
    expect(small.length).toBe(100);
    pool.give(large);
    pool.give(small);
    expect(pool.kept).toBe(2);
    // A 1 MiB buffer (the rounded size of `small`) fits 1,000 bytes: the 3 MiB one stays for larger requests.
    expect(pool.take(1000).buffer).toBe(small.buffer);
    expect(pool.take(2 << 20).buffer).toBe(large.buffer);
    expect(pool.kept).toBe(0);
    // Nothing kept fits: a new buffer.
    const fresh = pool.take(10);
    expect(fresh.buffer).not.toBe(small.buffer);
    expect(fresh.buffer).not.toBe(large.buffer);
  });

  it("keeps no more than it was told to, and ignores buffers it did not lend or was given back already", () => {
    const pool = createBufferPool({ keep: 1 });
    const [a, b] = [pool.take(10), pool.take(10)];
    pool.give(a);
    pool.give(b);
    expect(pool.kept).toBe(1);
    pool.give(a);
    pool.give(Buffer.alloc(10));
    pool.give(new Uint8Array(10));
    expect(pool.kept).toBe(1);
    // Given back twice would have been handed out twice: it is not.
    const again = pool.take(10);
    expect(pool.take(10).buffer).not.toBe(again.buffer);
  });
});

describe("streamBytesInto", () => {
  const stream = (...pieces: string[]) => Readable.from(pieces.map((piece) => Buffer.from(piece)));

  it("reads a stream of exactly the buffer's length into it", async () => {
    const into = Buffer.alloc(11);
    await expect(streamBytesInto(stream("hello", " ", "world"), into)).resolves.toBe(into);
    expect(into.toString()).toBe("hello world");
  });

  it("refuses a stream that brings more or fewer bytes than announced", async () => {
    await expect(streamBytesInto(stream("hello", " world!"), Buffer.alloc(11))).rejects.toThrow("more than the 11 bytes announced");
    await expect(streamBytesInto(stream("hello"), Buffer.alloc(11))).rejects.toThrow("ended after 5 of the 11 bytes announced");
  });
});

describe("npyMatrix in a buffer used before", () => {
  it("zeroes the data it is given, and writes the bytes encodeNpy writes", () => {
    const pool = createBufferPool({ keep: 1 });
    const dirty = pool.take(128 + 6 * 4);
    dirty.fill(0xab);
    pool.give(dirty);
    const built = npyMatrix(2, 3, (bytes) => pool.take(bytes));
    expect(built.file().buffer).toBe(dirty.buffer);
    expect(built.data).toEqual(new Float32Array(6));
    built.data.set([1, 2, 3], 3);
    const expected = encodeNpy(Float32Array.of(0, 0, 0, 1, 2, 3), 2, 3);
    expect(Buffer.from(built.file()).equals(Buffer.from(expected))).toBe(true);
    expect(decodeNpy(built.file()).data).toEqual(Float32Array.of(0, 0, 0, 1, 2, 3));
  });

  it("makes its own buffer when the one given is the wrong size or not aligned for floats", () => {
    const misaligned = Buffer.alloc(128 + 4 + 1).subarray(1);
    expect(npyMatrix(1, 1, () => misaligned).file().buffer).not.toBe(misaligned.buffer);
    const short = Buffer.alloc(128);
    expect(npyMatrix(1, 1, () => short).file().buffer).not.toBe(short.buffer);
  });
});
