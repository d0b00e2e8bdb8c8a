import { open } from "node:fs/promises";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import { streamBytes } from "../stream-bytes";
import type { Store } from "./client";

/** Bytes [start, start + length) of an object: one ranged GET (RFC 9110 §14.1.2, `bytes=first-last`). */
export async function objectRange(store: Store, key: string, start: number, length: number): Promise<Buffer> {
  if (length <= 0) return Buffer.alloc(0);
  const answer = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key, Range: `bytes=${start}-${start + length - 1}` }));
  const bytes = await streamBytes(answer.Body as Readable);
  if (bytes.length !== length) throw new Error(`${key}: asked for ${length} bytes at ${start}, got ${bytes.length}`);
  return bytes;
}

/**
 * Up to `length` bytes from the start of an object, and the object's size: one ranged GET, which S3
 * answers with what there is of the range and the whole length in `Content-Range`
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Range").
 */
export async function objectStart(store: Store, key: string, length: number): Promise<{ bytes: Buffer; size: number }> {
  const answer = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key, Range: `bytes=0-${length - 1}` }));
  const bytes = await streamBytes(answer.Body as Readable);
  const size = Number(/\/(\d+)$/.exec(answer.ContentRange ?? "")?.[1] ?? NaN);
  if (!Number.isSafeInteger(size) || bytes.length !== Math.min(length, size)) throw new Error(`${key}: asked for its first ${length} bytes, got ${bytes.length} (Content-Range ${answer.ContentRange ?? "missing"})`);
  return { bytes, size };
}

export interface PartOptions {
  /** Bytes per ranged GET (default 8 MiB). */
  partBytes?: number;
  /** GETs in flight (default 8). */
  concurrency?: number;
}

/**
 * Reads an object of `size` bytes with several ranged GETs at once, handing each part to `sink`. One GET
 * stream from B2 or S3 tops out well below what a function's network can take; byte-range fetches in
 * parallel are how AWS's S3 performance guidelines say to read a large object fast.
 */
async function fetchInParts(store: Store, key: string, size: number, options: PartOptions & { offset?: number }, sink: (bytes: Buffer, start: number) => Promise<void> | void): Promise<void> {
  const partBytes = options.partBytes ?? 8 * 1024 * 1024;
  const concurrency = options.concurrency ?? 8;
  const offset = options.offset ?? 0;
  let next = 0;
  const worker = async () => {
    while (next < size) {
      const start = next;
      next += partBytes;
      await sink(await objectRange(store, key, offset + start, Math.min(partBytes, size - start)), start);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.ceil(size / partBytes)) }, worker));
}

/** Copies an object of `size` bytes into a local file, parts in parallel. */
export async function downloadToFile(store: Store, key: string, file: string, size: number, options: PartOptions = {}): Promise<void> {
  const handle = await open(file, "w");
  try {
    await handle.truncate(size);
    await fetchInParts(store, key, size, options, async (bytes, start) => {
      await handle.write(bytes, 0, bytes.length, start);
    });
  } finally {
    await handle.close();
  }
}

/** An object of `size` bytes (or that many from byte `offset`) in memory, parts fetched in parallel. */
export async function objectBytesInParts(store: Store, key: string, size: number, options: PartOptions & { offset?: number } = {}): Promise<Buffer> {
  const out = Buffer.allocUnsafe(size);
  await fetchInParts(store, key, size, options, (bytes, start) => {
    bytes.copy(out, start);
  });
  return out;
}
