/**
 * Buffers a thread takes again for work it repeats (an embed worker's chunk input and vector file, the
 * split's chunk files), so that the work does not allocate them anew each time.
 *
 * The point is V8's young-generation collections, not the allocation itself. V8 collects the young
 * generation whenever the ArrayBuffers allocated since the last collection reach twice its default
 * semi-space (32 MiB on 64-bit), whatever `--max-semi-space-size` says
 * (`Heap::AllocateExternalBackingStore`, https://chromium.googlesource.com/v8/v8/+/refs/heads/main/src/heap/heap.cc).
 * An embed worker allocated about that much per 1,500-exchange chunk, so most of its collections came
 * mid-chunk, copying the chunk's parsed texts (and promoting them at the next one, for a full
 * collection to find later). A buffer taken again is an old one: it counts for nothing there.
 */
export interface BufferPool {
  /** A buffer of exactly `bytes` bytes, its contents whatever they were (a view of a kept buffer big enough, or a new one). */
  take(bytes: number): Buffer;
  /**
   * Hands back a buffer {@link take} gave, once nothing reads or writes it any more: the next `take`
   * may hand it out and overwrite it. A buffer given back twice, or not from this pool, is ignored.
   */
  give(buffer: Uint8Array): void;
  /** How many buffers are kept, free, for the next `take` (tests). */
  readonly kept: number;
}

/** New buffers are made a multiple of this, so a slightly larger request next time fits a kept one. */
const ROUND_BYTES = 1 << 20;

/** A pool that keeps at most `keep` free buffers; one given back past that is left to the collector. */
export function createBufferPool(options: { keep: number }): BufferPool {
  const free: ArrayBuffer[] = [];
  const lent = new WeakSet<ArrayBuffer>();
  return {
    take(bytes) {
      // The smallest kept buffer that fits, so a large one stays for a large request.
      let best = -1;
      for (let i = 0; i < free.length; i++) if (free[i]!.byteLength >= bytes && (best < 0 || free[i]!.byteLength < free[best]!.byteLength)) best = i;
      const backing = best >= 0 ? free.splice(best, 1)[0]! : Buffer.allocUnsafeSlow(Math.ceil(Math.max(bytes, 1) / ROUND_BYTES) * ROUND_BYTES).buffer;
      lent.add(backing);
      return Buffer.from(backing, 0, bytes);
    },
    give(buffer) {
      const backing = buffer.buffer;
      if (!(backing instanceof ArrayBuffer) || !lent.has(backing)) return;
      lent.delete(backing);
      if (free.length < options.keep) free.push(backing);
    },
    get kept() {
      return free.length;
    },
  };
}
