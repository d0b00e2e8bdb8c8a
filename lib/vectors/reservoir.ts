import type { Rng } from "./prng";

/**
 * A uniform random sample of up to `capacity` rows from a stream of unknown length (Algorithm R,
 * Vitter 1985). One draw per row, so the sample depends only on the seed and the row order, never on
 * how rows were batched. The buffer grows as rows arrive, so a small vault does not pay for a big sample.
 */
export interface RowReservoir {
  add(rows: Float32Array, count: number): void;
  /** Rows offered so far. */
  readonly seen: number;
  /** Rows held: min(seen, capacity). */
  readonly size: number;
  /** The held rows, row-major (a view; valid until the next `add`). */
  rows(): Float32Array;
  /** Stream index of the row held in `slot`. */
  sourceRow(slot: number): number;
}

/**
 * `expectedRows`, when the caller knows how many rows will come, sizes the buffer once: growing it by
 * doubling copies the sample again at every step, and each new buffer is fresh memory to fault in.
 */
export function createRowReservoir(dim: number, capacity: number, rng: Rng, expectedRows?: number): RowReservoir {
  let buffer = new Float32Array(Math.min(capacity, Math.max(1024, expectedRows ?? 0)) * dim);
  const sources = new Int32Array(capacity);
  let seen = 0;
  const store = (rows: Float32Array, r: number, slot: number) => {
    if ((slot + 1) * dim > buffer.length) {
      const grown = new Float32Array(Math.min(capacity, 2 * (buffer.length / dim)) * dim);
      grown.set(buffer);
      buffer = grown;
    }
    buffer.set(rows.subarray(r * dim, (r + 1) * dim), slot * dim);
    sources[slot] = seen;
  };
  return {
    add(rows, count) {
      for (let r = 0; r < count; r++, seen++) {
        const slot = seen < capacity ? seen : rng.int(seen + 1);
        if (slot < capacity) store(rows, r, slot);
      }
    },
    get seen() {
      return seen;
    },
    get size() {
      return Math.min(seen, capacity);
    },
    rows: () => buffer.subarray(0, Math.min(seen, capacity) * dim),
    sourceRow: (slot) => sources[slot]!,
  };
}
