import { describe, expect, it } from "vitest";
import { createRng } from "../../lib/vectors/prng";
import { createRowReservoir } from "../../lib/vectors/reservoir";

const rowsUpTo = (n: number) => Float32Array.from({ length: n * 2 }, (_, i) => Math.floor(i / 2));

describe("createRowReservoir", () => {
  it("keeps every row, in order, while there is room", () => {
    const reservoir = createRowReservoir(2, 5000, createRng(1));
    reservoir.add(rowsUpTo(3000), 3000);
    expect(reservoir.size).toBe(3000);
    expect(reservoir.rows()).toEqual(rowsUpTo(3000));
    expect(reservoir.sourceRow(2999)).toBe(2999);
  });

  it("holds the same sample however the rows are batched", () => {
    const whole = createRowReservoir(2, 50, createRng(9));
    whole.add(rowsUpTo(1000), 1000);
    const batched = createRowReservoir(2, 50, createRng(9));
    const all = rowsUpTo(1000);
    for (let at = 0; at < 1000; at += 37) {
      const count = Math.min(37, 1000 - at);
      batched.add(all.subarray(at * 2, (at + count) * 2), count);
    }
    expect(batched.rows()).toEqual(whole.rows());
    expect(whole.seen).toBe(1000);
  });

  it("knows which stream row each held row came from", () => {
    const reservoir = createRowReservoir(2, 10, createRng(3));
    reservoir.add(rowsUpTo(500), 500);
    for (let slot = 0; slot < 10; slot++) expect(reservoir.rows()[slot * 2]).toBe(reservoir.sourceRow(slot));
  });

  it("samples rows uniformly", () => {
    const hits = new Array<number>(10).fill(0);
    for (let seed = 0; seed < 400; seed++) {
      const reservoir = createRowReservoir(2, 5, createRng(seed));
      reservoir.add(rowsUpTo(100), 100);
      for (let slot = 0; slot < 5; slot++) hits[Math.floor(reservoir.sourceRow(slot) / 10)]!++;
    }
    // 400 × 5 picks over ten deciles: 200 expected in each.
    expect(Math.min(...hits)).toBeGreaterThan(150);
    expect(Math.max(...hits)).toBeLessThan(250);
  });
});
