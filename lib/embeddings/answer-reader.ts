import type { Readable } from "node:stream";

/** An answer body longer than the reader's cap; the body is destroyed when this is thrown. */
export class AnswerTooLarge extends Error {}

/** Smallest buffer made for an answer without a `content-length`; grown by doubling. */
const FIRST_BUFFER_BYTES = 256 * 1024;
/** Buffers up to this size are kept for the next answer; a rare larger one is left to the GC. */
const MAX_KEPT_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Receive buffers for answers, reused from one request to the next. A 32-vector base64 answer is
 * ~176 KB: a fresh buffer per answer (as `body.arrayBuffer()` makes, copying every chunk into it) is
 * new memory to fault in and external memory that makes V8 collect garbage sooner, hundreds of times a
 * second in a busy worker. Holds one buffer per request in flight at most: each read takes one and
 * gives it back when its answer has been decoded.
 */
export interface AnswerBuffers {
  spare: Buffer[];
}

/** Bytes of one answer, valid until `release()`; nothing may keep a view of them after that. */
export interface AnswerBytes {
  bytes: Buffer;
  release(): void;
}

/**
 * Reads a response body to its end into a buffer from `buffers` (grown when the answer is longer than
 * it), or rejects: with the body's error (aborted, timed out, connection lost), or with `AnswerTooLarge`
 * after destroying the body once more than `maxBytes` have arrived. `contentLength` (the header, when
 * the server sent one) only sizes the buffer; the bytes that arrive are what count.
 */
export function readAnswer(body: Readable, buffers: AnswerBuffers, maxBytes: number, contentLength?: number): Promise<AnswerBytes> {
  const wanted = Math.min(maxBytes, contentLength !== undefined && contentLength > 0 ? contentLength : FIRST_BUFFER_BYTES);
  let buffer = takeBuffer(buffers, wanted);
  let length = 0;
  let settled = false;
  const giveBack = () => {
    if (buffer.length <= MAX_KEPT_BUFFER_BYTES) buffers.spare.push(buffer);
  };
  return new Promise<AnswerBytes>((resolve, reject) => {
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      body.off("data", onData);
      giveBack();
      reject(error);
    };
    function onData(chunk: Buffer) {
      if (settled) return;
      const needed = length + chunk.length;
      if (needed > maxBytes) {
        const error = new AnswerTooLarge(`answer longer than ${maxBytes} bytes`);
        fail(error);
        body.destroy(error);
        return;
      }
      if (needed > buffer.length) {
        const grown = Buffer.allocUnsafeSlow(Math.min(maxBytes, Math.max(needed, buffer.length * 2)));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      chunk.copy(buffer, length);
      length = needed;
    }
    body.on("data", onData);
    // `on`, not `once`: an error after the first (or after the end) must not go unhandled.
    body.on("error", fail);
    body.once("end", () => {
      if (settled) return;
      settled = true;
      let released = false;
      resolve({
        bytes: buffer.subarray(0, length),
        release() {
          if (released) return;
          released = true;
          giveBack();
        },
      });
    });
  });
}

function takeBuffer(buffers: AnswerBuffers, wanted: number): Buffer {
  // A spare too small for this answer is dropped, so there are never more spares than reads at once.
  const spare = buffers.spare.pop();
  if (spare !== undefined && spare.length >= wanted) return spare;
  // Not zero-filled: only the bytes written by `onData` are ever exposed.
  return Buffer.allocUnsafeSlow(Math.max(wanted, Math.min(FIRST_BUFFER_BYTES, wanted * 2)));
}
