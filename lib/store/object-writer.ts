import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from "@aws-sdk/client-s3";
import type { Store } from "./client";
import { objectRange } from "./ranged";

/**
 * S3's multipart limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): every part
 * but the last is 5 MiB to 5 GiB, at most 10,000 parts. B2's S3-compatible API keeps the same rules for
 * uploaded and copied parts (https://www.backblaze.com/docs/cloud-storage-s3-compatible-api, "Upload
 * Part Copy"; B2 counts 5 GB as 5 × 10⁹ bytes, hence copies of at most 4 GiB).
 */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_COPY_PART_BYTES = 4 * 1024 * 1024 * 1024;
const MAX_PARTS = 10_000;
/** Parts uploaded from memory: above S3's 5 MiB minimum; {@link PARTS_IN_FLIGHT} of them are what a writer holds. */
const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;

/** How an object was made: `copied` bytes never left the store; `uploaded` and `read` went through this function. */
export interface WrittenObject {
  key: string;
  bytes: number;
  copied: number;
  uploaded: number;
  read: number;
  /** Milliseconds the store took to complete the object (for copied parts, where it does the copying). */
  completeMs: number;
}

/**
 * Writes one object from a mix of new bytes and byte ranges of objects already in the store, in order.
 * Ranges are copied by the store itself with UploadPartCopy, so composing a 1 GB file from the previous
 * version's 1 GB plus a few new MB moves only the few MB through the function. Where the 5 MiB part
 * minimum forbids a copy (a range shorter than that, or new bytes before a range that do not fill a
 * part yet), that much is read through instead: never more than 5 MiB per range.
 *
 * Parts upload in the background (a few at a time) while more is written; nothing is visible at `key`
 * until {@link ObjectWriter.end} completes the upload, and a failed writer aborts its upload so no
 * parts are left behind. A small object (no copy, under one part) is a single PutObject. Bytes handed
 * to `write` are kept by reference until uploaded: do not change them afterwards.
 */
export interface ObjectWriter {
  write(bytes: Uint8Array | string): Promise<void>;
  /**
   * Appends bytes [start, end) of `sourceKey` (same bucket). `held`: those same bytes, when the caller
   * has them in memory anyway; what cannot be copied is then written from them instead of read through.
   */
  copy(sourceKey: string, start: number, end: number, held?: Uint8Array): Promise<void>;
  /**
   * Uploads what is written so far as the object's last parts and waits for every part, without
   * completing the object: the bytes go now, while the caller takes its thread for something else, and
   * {@link end} only has the store join the parts. Nothing may be written after it.
   */
  flush(): Promise<void>;
  end(): Promise<WrittenObject>;
  abort(): Promise<void>;
}

export function createObjectWriter(store: Store, key: string, options: { contentType: string; partBytes?: number }): ObjectWriter {
  const partBytes = options.partBytes ?? DEFAULT_PART_BYTES;
  if (partBytes < MIN_PART_BYTES) throw new RangeError(`parts of ${partBytes} bytes are under S3's 5 MiB minimum`);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let uploadId: Promise<string> | undefined;
  let nextPart = 1;
  const parts: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let finished = false;
  let flushed = false;
  const stats = { key, bytes: 0, copied: 0, uploaded: 0, read: 0, completeMs: 0 };

  const started = () =>
    (uploadId ??= store.client
      .send(new CreateMultipartUploadCommand({ Bucket: store.bucket, Key: key, ContentType: options.contentType }))
      .then((answer) => answer.UploadId!));

  const check = () => {
    if (failure) throw failure;
    if (finished) throw new Error(`${key}: written after end()`);
  };
  const checkWritable = () => {
    check();
    if (flushed) throw new Error(`${key}: written after flush()`);
  };

  async function launch(send: (uploadId: string, partNumber: number) => Promise<string | undefined>): Promise<void> {
    const partNumber = nextPart++;
    if (partNumber > MAX_PARTS) throw new Error(`${key}: more than ${MAX_PARTS} parts`);
    while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight);
    check();
    const id = await started();
    const task = send(id, partNumber)
      .then((etag) => void parts.push({ PartNumber: partNumber, ETag: etag }))
      .catch((error: unknown) => void (failure ??= error))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  }

  // Buffers of parts already uploaded, written into again by later parts. Memory a process has not
  // touched yet costs a page fault per page on first write, which on small VMs takes longer than the
  // copy itself; a new buffer per 8 MiB part paid that for every byte uploaded.
  const spare: Buffer[] = [];

  /**
   * The first `bytes` of what is pending, as one Buffer: the piece itself when one piece holds them,
   * else copied into a spare part buffer; `release` hands that buffer back once the part is uploaded.
   */
  function take(bytes: number): { body: Buffer; release: () => void } {
    const taken: Buffer[] = [];
    for (let need = bytes; need > 0; ) {
      const head = pending[0]!;
      if (head.length <= need) {
        taken.push(head);
        pending.shift();
        need -= head.length;
      } else {
        taken.push(head.subarray(0, need));
        pending[0] = head.subarray(need);
        need = 0;
      }
    }
    pendingBytes -= bytes;
    if (taken.length === 1) return { body: taken[0]!, release: () => undefined };
    const buffer = spare.pop() ?? Buffer.allocUnsafeSlow(Math.max(bytes, partBytes));
    let at = 0;
    for (const piece of taken) at += piece.copy(buffer, at);
    return { body: buffer.subarray(0, bytes), release: () => void (buffer.length >= partBytes && spare.push(buffer)) };
  }

  async function uploadPending(bytes: number): Promise<void> {
    const { body, release } = take(bytes);
    stats.uploaded += body.length;
    await launch(async (id, partNumber) => {
      try {
        const answer = await store.client.send(new UploadPartCommand({ Bucket: store.bucket, Key: key, UploadId: id, PartNumber: partNumber, Body: body, ContentLength: body.length }));
        return answer.ETag;
      } finally {
        release();
      }
    });
  }

  function append(bytes: Buffer): void {
    pending.push(bytes);
    pendingBytes += bytes.length;
    stats.bytes += bytes.length;
  }

  /** Appends bytes [start, end) of `sourceKey`, read through this function (at most 10 MiB: see `copy`). */
  async function readThrough(sourceKey: string, start: number, end: number): Promise<void> {
    for (let at = start; at < end; at += partBytes) {
      const bytes = await objectRange(store, sourceKey, at, Math.min(partBytes, end - at));
      stats.read += bytes.length;
      append(bytes);
    }
  }

  /**
   * Uploads everything pending once it can make parts (5 MiB or more): after bytes read through in place
   * of a copy, so that the next copy starts on a part boundary instead of topping up a few bytes left
   * over, which would read through most of that range too, and so on for every range after it.
   */
  async function uploadAllPending(): Promise<void> {
    if (pendingBytes < MIN_PART_BYTES) return;
    let parts = Math.ceil(pendingBytes / partBytes);
    if (pendingBytes / parts < MIN_PART_BYTES) parts -= 1;
    const size = Math.ceil(pendingBytes / parts);
    while (pendingBytes > 0) await uploadPending(Math.min(size, pendingBytes));
  }

  /** Uploads what is pending as the last part and waits for every part in flight (flush, end). */
  async function sendRemaining(): Promise<void> {
    if (pendingBytes > 0) await uploadPending(pendingBytes);
    await Promise.all(inFlight);
    check();
  }

  async function fail(error: unknown): Promise<never> {
    failure ??= error;
    await abort();
    throw failure;
  }

  async function abort(): Promise<void> {
    finished = true;
    await Promise.allSettled(inFlight);
    const id = uploadId && (await uploadId.catch(() => undefined));
    if (id) await store.client.send(new AbortMultipartUploadCommand({ Bucket: store.bucket, Key: key, UploadId: id })).catch(() => undefined);
  }

  return {
    async write(bytes) {
      checkWritable();
      append(typeof bytes === "string" ? Buffer.from(bytes, "utf8") : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      try {
        while (pendingBytes >= partBytes) await uploadPending(partBytes);
      } catch (error) {
        await fail(error);
      }
    },

    async copy(sourceKey, start, end, held) {
      checkWritable();
      try {
        if (held && held.byteLength !== end - start) throw new RangeError(`${key}: ${held.byteLength} bytes held for the ${end - start} of ${sourceKey}`);
        const origin = start;
        const through = async (from: number, to: number) => {
          if (!held) return readThrough(sourceKey, from, to);
          const bytes = held.subarray(from - origin, to - origin);
          append(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        };
        if (end <= start) return;
        // New bytes waiting before the range must make a whole part first: top them up from the range.
        if (pendingBytes > 0 && pendingBytes < MIN_PART_BYTES) {
          const borrow = Math.min(end - start, MIN_PART_BYTES - pendingBytes);
          await through(start, start + borrow);
          start += borrow;
        }
        // A copied part must be more than 5 MiB: it may not be the last (the emulator even asks more of a range).
        if (end - start <= MIN_PART_BYTES) {
          await through(start, end);
          return await uploadAllPending();
        }
        await uploadAllPending();
        const pieces = Math.ceil((end - start) / MAX_COPY_PART_BYTES);
        const size = Math.ceil((end - start) / pieces);
        for (let at = start; at < end; at += size) {
          const last = Math.min(end, at + size);
          stats.copied += last - at;
          stats.bytes += last - at;
          await launch(async (id, partNumber) => {
            const answer = await store.client.send(
              new UploadPartCopyCommand({
                Bucket: store.bucket,
                Key: key,
                UploadId: id,
                PartNumber: partNumber,
                CopySource: `${store.bucket}/${sourceKey.split("/").map(encodeURIComponent).join("/")}`,
                CopySourceRange: `bytes=${at}-${last - 1}`,
              }),
            );
            return answer.CopyPartResult?.ETag;
          });
        }
      } catch (error) {
        await fail(error);
      }
    },

    async flush() {
      checkWritable();
      flushed = true;
      // A small object stays in memory for end()'s single PutObject: there are no parts to send.
      if (!uploadId) return;
      try {
        await sendRemaining();
      } catch (error) {
        await fail(error);
      }
    },

    async end() {
      check();
      try {
        if (!uploadId) {
          const body = Buffer.concat(pending, pendingBytes);
          stats.uploaded += body.length;
          await store.client.send(new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: body, ContentType: options.contentType }));
        } else {
          await sendRemaining();
          const id = await uploadId;
          parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
          const completing = performance.now();
          await store.client.send(new CompleteMultipartUploadCommand({ Bucket: store.bucket, Key: key, UploadId: id, MultipartUpload: { Parts: parts } }));
          stats.completeMs = performance.now() - completing;
        }
        finished = true;
        return { ...stats };
      } catch (error) {
        return fail(error);
      }
    },

    abort,
  };
}
