import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { Readable } from "node:stream";
import type { BufferPool } from "../buffer-pool";
import { streamBytes, streamBytesInto } from "../stream-bytes";
import type { Store } from "./client";

/** The object's bytes as a stream (for .npy and nodes.json, which are read front to back). */
export async function objectStream(store: Store, key: string): Promise<Readable> {
  const answer = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
  return answer.Body as Readable;
}

export async function objectBytes(store: Store, key: string): Promise<Buffer> {
  return streamBytes(await objectStream(store, key));
}

/**
 * {@link objectBytes} in a buffer taken from `pool` at the object's Content-Length, which the caller
 * gives back when done with it (a failed read gives it back here).
 */
export async function objectBytesFrom(pool: BufferPool, store: Store, key: string): Promise<Buffer> {
  const answer = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
  const body = answer.Body as Readable;
  if (answer.ContentLength === undefined) return streamBytes(body);
  const into = pool.take(answer.ContentLength);
  try {
    return await streamBytesInto(body, into);
  } catch (error) {
    pool.give(into);
    throw error;
  }
}

/**
 * Writes a stream of unknown length as one object (multipart under the hood, 8 MiB parts, 4 in flight),
 * so a 400 MB vector file never sits in memory whole. 8 MiB stays above S3's 5 MiB part minimum, and 4
 * of them in flight are what the writer holds. Small pieces (a line of JSON) are gathered into
 * 1 MB blocks first. Returns the bytes written.
 */
export async function putStream(store: Store, key: string, body: AsyncIterable<Uint8Array | string>, contentType: string): Promise<number> {
  let bytes = 0;
  const blocks = Readable.from(
    (async function* () {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const piece of body) {
        const chunk = typeof piece === "string" ? Buffer.from(piece, "utf8") : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        bytes += chunk.length;
        // Large pieces (a chunk's vectors) go through as they are: copying them would only cost time.
        if (chunk.length >= 1 << 18 && pendingBytes === 0) {
          yield chunk;
          continue;
        }
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= 1 << 20) {
          yield Buffer.concat(pending, pendingBytes);
          pending = [];
          pendingBytes = 0;
        }
      }
      if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
    })(),
  );
  const upload = new Upload({
    client: store.client,
    params: { Bucket: store.bucket, Key: key, Body: blocks, ContentType: contentType },
    partSize: 8 * 1024 * 1024,
    queueSize: 4,
  });
  await upload.done();
  return bytes;
}

/**
 * Deletes every object under `prefix` (work files of an upload, an old vault version), one DeleteObject
 * at a time, 16 in flight: B2 refuses multi-object DeleteObjects from SDKs that send a CRC32 instead of
 * Content-MD5 (aws-sdk-js-v3#6920).
 */
export async function deletePrefix(store: Store, prefix: string, options: { keep?: (key: string) => boolean } = {}): Promise<number> {
  let deleted = 0;
  for await (const page of keyPages(store, prefix)) {
    const keys = page.filter((key) => !options.keep?.(key));
    for (let at = 0; at < keys.length; at += 16) {
      await Promise.all(keys.slice(at, at + 16).map((key) => store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: key }))));
    }
    deleted += keys.length;
  }
  return deleted;
}

/** The keys under `prefix`, a page of ListObjectsV2 (up to 1,000) at a time. */
export async function* keyPages(store: Store, prefix: string): AsyncGenerator<string[]> {
  let token: string | undefined;
  do {
    const page = await store.client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix, ContinuationToken: token }));
    yield (page.Contents ?? []).map((object) => object.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
