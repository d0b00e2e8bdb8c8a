import { describe, expect, it } from "vitest";
import { halfBits, halfValue, halvesInto, toHalves } from "../../lib/vectors/half-float";
import { createRng } from "../../lib/vectors/prng";

const isNaNBits = (bits: number) => (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;

/** Whether `bits` is the half nearest `value`, an even one on a tie (the rounding of Math.f16round). */
function nearestTiesToEven(value: number, bits: number): boolean {
  const here = Math.abs(value - halfValue(bits));
  const magnitude = bits & 0x7fff;
  const neighbours = [magnitude - 1, magnitude + 1].filter((m) => m >= 0 && m <= 0x7c00).map((m) => (bits & 0x8000) | m);
  return neighbours.every((other) => {
    const there = Math.abs(value - halfValue(other));
    return here < there || (here === there && (bits & 1) === 0);
  });
}

describe("binary16 conversions", () => {
  it("give back every half's bits from its value", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if (isNaNBits(bits)) expect(halfValue(bits)).toBeNaN();
      else expect(halfBits(halfValue(bits))).toBe(bits);
    }
  });

  it("round to the nearest half, ties to even, at the edges of the range", () => {
    expect(halfBits(1)).toBe(0x3c00);
    expect(halfBits(-2)).toBe(0xc000);
    expect(halfBits(-0)).toBe(0x8000);
    expect(halfBits(1 + 2 ** -11)).toBe(0x3c00); // a tie: down to the even significand
    expect(halfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // a tie: up to the even significand
    expect(halfBits(65504)).toBe(0x7bff); // the largest half
    expect(halfBits(65519)).toBe(0x7bff);
    expect(halfBits(65520)).toBe(0x7c00); // a tie with 65536, which is Infinity
    expect(halfBits(-1e9)).toBe(0xfc00);
    expect(halfBits(2 ** -24)).toBe(0x0001); // the smallest subnormal
    expect(halfBits(2 ** -25)).toBe(0x0000); // a tie with zero
    expect(halfBits(3 * 2 ** -26)).toBe(0x0001);
    expect(halfBits(2 ** -14 - 2 ** -25)).toBe(0x0400); // a tie between the largest subnormal and the smallest normal
    expect(halfBits(Infinity)).toBe(0x7c00);
    expect(isNaNBits(halfBits(NaN))).toBe(true);
  });

  it("round random floats of every magnitude to the nearest half", () => {
    const rng = createRng(7);
    const random = () => rng.next();
    const floats = new Float32Array(20_000);
    for (let i = 0; i < floats.length; i++) floats[i] = (random() - 0.5) * 2 ** Math.floor(random() * 44 - 28);
    const halves = toHalves(floats);
    floats.forEach((value, i) => expect(nearestTiesToEven(value, halves[i]!), `${value} → ${halves[i]!.toString(16)}`).toBe(true));
  });

  it("write halves' values into floats where asked, and no further", () => {
    const into = new Float32Array(5).fill(9);
    halvesInto(Uint16Array.of(0x3c00, 0xc000, 0x0001), into, 1);
    expect([...into]).toEqual([9, 1, -2, 2 ** -24, 9]);
    expect(() => halvesInto(Uint16Array.of(1, 2), into, 4)).toThrow(RangeError);
  });
});
