import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { Store } from "../store/client";
import type { VaultNode } from "./vault-nodes";
import { chunkText } from "./vault-files";
import { chunkInputKey } from "./work-files";

export interface WrittenChunk {
  index: number;
  records: number;
  key: string;
}

/**
 * Cuts the split's stream of new nodes into chunks of `chunkSize` and writes each as a JSON array, one
 * node per line ({@link chunkText}), to the upload's work folder, so the embed workers get pointers,
 * never contents. At most two writes are in flight, which bounds memory to a few chunks whatever the
 * export's size.
 */
export class ChunkWriter {
  private buffer: VaultNode[] = [];
  private readonly written: WrittenChunk[] = [];
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    private readonly store: Store,
    private readonly location: { vaultPrefix: string; uploadId: string; attempt: number },
    private readonly chunkSize: number,
  ) {}

  async add(node: VaultNode): Promise<void> {
    if (this.failure) throw this.failure;
    this.buffer.push(node);
    if (this.buffer.length >= this.chunkSize) await this.flush();
  }

  /** Writes the last partial chunk and waits for every write; returns the chunks in order. */
  async finish(): Promise<WrittenChunk[]> {
    await this.flush();
    await Promise.all(this.pending);
    if (this.failure) throw this.failure;
    return this.written;
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const nodes = this.buffer;
    this.buffer = [];
    const index = this.written.length;
    const key = chunkInputKey(this.location.vaultPrefix, this.location.uploadId, this.location.attempt, index);
    this.written.push({ index, records: nodes.length, key });
    while (this.pending.size >= 2) await Promise.race(this.pending);
    // Bytes, not a string: the SDK would encode a string body once to sign it and again to send it.
    const write = this.store.client
      .send(new PutObjectCommand({ Bucket: this.store.bucket, Key: key, Body: Buffer.from(chunkText(nodes), "utf8"), ContentType: "application/json" }))
      .then(() => undefined)
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
    // A failed write surfaces at the next add() or at finish(), not as an unhandled rejection.
    write.catch((error) => (this.failure ??= error));
  }
}
