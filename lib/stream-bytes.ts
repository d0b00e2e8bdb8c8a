import type { Readable } from "node:stream";

/** A stream's whole content as one Buffer: a stored object's body, a file range. */
export async function streamBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A stream's whole content, `length` bytes, read into `into` (exactly `length` long): for a body whose
 * length is known beforehand (a stored object's Content-Length), with no chunks kept and joined. A
 * stream that brings more or fewer bytes is an error.
 */
export async function streamBytesInto(stream: Readable, into: Buffer): Promise<Buffer> {
  let at = 0;
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    if (at + bytes.length > into.length) {
      stream.destroy();
      throw new Error(`the stream brought more than the ${into.length} bytes announced`);
    }
    bytes.copy(into, at);
    at += bytes.length;
  }
  if (at !== into.length) throw new Error(`the stream ended after ${at} of the ${into.length} bytes announced`);
  return into;
}
