import type { Readable } from "node:stream";

/** A stream's whole content as one Buffer: a stored object's body, a file range. */
export async function streamBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
