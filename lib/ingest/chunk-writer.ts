import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createBufferPool } from "../buffer-pool";
import type { Store } from "../store/client";
import { chunkFile } from "./vault-files";
import { chunkInputKey } from "./work-files";

/** An exchange a chunk carries that another unsettled upload held when it was claimed (see claims.ts). */
export interface ChunkDeferral {
  hash: Buffer;
  recordId: string;
}

/**
 * Chunks stored or recorded at once. Each write waits on round trips (the PUT, the chunk's row, its embed
 * message) more than on CPU, so more than two keep the parse from waiting for them; each holds one
 * chunk's bytes (about 3 KB a node).
 */
const WRITES_IN_FLIGHT = 4;

/**
 * The chunk files' buffers, taken again from chunk to chunk (~8 MB each for 1,500 exchanges): new ones
 * for every chunk were a third of the ArrayBuffers the split allocated, and so of the young-generation
 * collections those set off (lib/buffer-pool.ts). One per write in flight, and one being filled.
 */
const chunkFiles = createBufferPool({ keep: WRITES_IN_FLIGHT + 1 });

export interface WrittenChunk {
  index: number;
  records: number;
  key: string;
  /** The chunk's deferred exchanges: recorded with the chunk, before any embed worker may read it. */
  deferrals: ChunkDeferral[];
}

/**
 * Cuts the split's stream of new nodes into chunks, each of the `chunkSize()` it had as it started, and
 * writes each as a JSON array, one node per line ({@link chunkFile}), to the upload's work folder, so
 * the embed workers get pointers, never contents. Once a chunk's file is stored, `onWritten` records it
 * (and may announce it to the embed workers) while the next chunks fill. At most {@link WRITES_IN_FLIGHT} chunks are being written or
 * recorded at once, which bounds memory to a few chunks whatever the export's size.
 */
export class ChunkWriter {
  /** The current chunk's lines, each in the pieces it was encoded in (see encodedNodeLine). */
  private buffer: Buffer[][] = [];
  private deferrals: ChunkDeferral[] = [];
  private count = 0;
  /** Nodes the chunk being filled holds once full. */
  private size = 0;
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    private readonly store: Store,
    private readonly location: { vaultPrefix: string; uploadId: string; attempt: number },
    /** Nodes of the chunk about to start, asked as each one does. */
    private readonly chunkSize: () => number,
    private readonly onWritten: (chunk: WrittenChunk) => Promise<void>,
  ) {}

  /**
   * Adds a node by its line, the UTF-8 pieces of its JSON text (lib/ingest/vault-nodes.ts,
   * `encodedNodeLine`), so no node object outlives its add(); `deferral` when another upload holds its exchange.
   */
  async add(line: Buffer[], deferral?: ChunkDeferral): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.buffer.length === 0) this.size = this.chunkSize();
    this.buffer.push(line);
    if (deferral) this.deferrals.push(deferral);
    if (this.buffer.length >= this.size) await this.flush();
  }

  /** Writes the last partial chunk and waits for every write and record; returns how many chunks there are. */
  async finish(): Promise<number> {
    await this.flush();
    await Promise.all(this.pending);
    if (this.failure) throw this.failure;
    return this.count;
  }

  /** Waits for every write and record under way, after a failure elsewhere; returns the writer's own failure, if any. */
  async settle(): Promise<unknown> {
    await Promise.allSettled(this.pending);
    return this.failure;
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const lines = this.buffer;
    const chunk: WrittenChunk = {
      index: this.count,
      records: lines.length,
      key: chunkInputKey(this.location.vaultPrefix, this.location.uploadId, this.location.attempt, this.count),
      deferrals: this.deferrals,
    };
    this.buffer = [];
    this.deferrals = [];
    this.count += 1;
    while (this.pending.size >= WRITES_IN_FLIGHT) await Promise.race(this.pending);
    if (this.failure) throw this.failure;
    // Bytes, not a string: the SDK would encode a string body once to sign it and again to send it.
    const body = chunkFile(lines, (bytes) => chunkFiles.take(bytes));
    const write = this.store.client
      .send(new PutObjectCommand({ Bucket: this.store.bucket, Key: chunk.key, Body: body, ContentType: "application/json" }))
      .then(() => {
        // Stored: nothing reads the body any more. A failed write keeps its buffer (it may still be in a socket).
        chunkFiles.give(body);
        return this.onWritten(chunk);
      })
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
    // A failed write surfaces at the next add() or at finish(), not as an unhandled rejection.
    write.catch((error) => (this.failure ??= error));
  }
}
