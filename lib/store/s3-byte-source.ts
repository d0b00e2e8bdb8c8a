import { GetObjectCommand } from "@aws-sdk/client-s3";
import { PassThrough, Readable } from "node:stream";
import type { ByteSource } from "../exports";
import type { Store } from "./client";

/**
 * A {@link ByteSource} over an object in the store: every stream is one ranged GET, so a zip is read
 * entry by entry (central directory first) and never downloaded whole. `onBytes` sees every byte read,
 * for progress.
 */
export function s3ByteSource(store: Store, key: string, size: number, options: { name: string; onBytes?: (count: number) => void }): ByteSource {
  return {
    name: options.name,
    size,
    createReadStream(range) {
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? size, size);
      if (end <= start) return Readable.from([]);
      const out = new PassThrough({ highWaterMark: 1 << 20 });
      store.client
        .send(new GetObjectCommand({ Bucket: store.bucket, Key: key, Range: `bytes=${start}-${end - 1}` }))
        .then((answer) => {
          const body = answer.Body as Readable;
          if (options.onBytes) body.on("data", (chunk: Buffer) => options.onBytes!(chunk.length));
          body.on("error", (error) => out.destroy(error));
          out.on("close", () => body.destroy());
          body.pipe(out);
        })
        .catch((error: Error) => out.destroy(error));
      return out;
    },
  };
}
