/**
 * IEEE 754 binary16 ("half precision") as raw bits in a Uint16Array, for bytes that only need about three
 * significant digits: the clustering samples (lib/vectors/sample-file.ts). Node 22 has no Float16Array
 * (it is behind `--js-float16array`), so the conversions are written out here, with the rounding
 * `Math.f16round` has: to nearest, ties to even (https://tc39.es/proposal-float16array/,
 * https://en.wikipedia.org/wiki/Half-precision_floating-point_format). A half has an 11-bit significand,
 * so a component of a unit vector moves by at most 2^-11 of itself (under 4.9e-4), or by 2^-25 when it
 * is under 2^-14, where halves are subnormal.
 */

const float = new Float32Array(1);
const floatBits = new Uint32Array(float.buffer);

/** The binary16 bits nearest `value` (ties to even); beyond ±65504 rounds to ±Infinity, NaN stays NaN. */
export function halfBits(value: number): number {
  float[0] = value;
  const bits = floatBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const fraction = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (fraction ? 0x200 : 0);
  // The exponent re-biased from float32's 127 to binary16's 15.
  const biased = exponent - 112;
  if (biased >= 0x1f) return sign | 0x7c00;
  if (biased <= 0) {
    // A subnormal half (or zero): the significand with its leading 1, shifted to units of 2^-24.
    if (biased < -10) return sign;
    return sign | roundShift(fraction | 0x800000, 14 - biased);
  }
  // A carry out of the fraction moves into the exponent, which is the right result (up to Infinity).
  return sign | (((biased << 10) | (fraction >>> 13)) + roundUp(fraction, 13));
}

/** `significand >>> shift`, rounded to nearest, ties to even. */
function roundShift(significand: number, shift: number): number {
  return (significand >>> shift) + roundUp(significand, shift);
}

/** 1 when the bits `shift` drops from `significand` round what is kept up (nearest, ties to even). */
function roundUp(significand: number, shift: number): number {
  const dropped = significand & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return dropped > half || (dropped === half && ((significand >>> shift) & 1) === 1) ? 1 : 0;
}

/** The value of binary16 bits `bits`. */
export function halfValue(bits: number): number {
  const magnitude = bits & 0x7fff;
  const exponent = magnitude >>> 10;
  const fraction = magnitude & 0x3ff;
  const value = exponent === 0 ? fraction * 2 ** -24 : exponent === 0x1f ? (fraction ? NaN : Infinity) : (1024 + fraction) * 2 ** (exponent - 25);
  return bits & 0x8000 ? -value : value;
}

/** `floats` as binary16 bits, one for one. */
export function toHalves(floats: Float32Array): Uint16Array {
  const halves = new Uint16Array(floats.length);
  for (let i = 0; i < floats.length; i++) halves[i] = halfBits(floats[i]!);
  return halves;
}

/** Every half's value as a float32, by its bits: one table lookup per half (256 KiB, made on first use). */
let halfTable: Float32Array | undefined;

/** Writes the values of `halves` into `into` from `at` (each is exact in a float32). */
export function halvesInto(halves: Uint16Array, into: Float32Array, at = 0): void {
  const table = (halfTable ??= Float32Array.from({ length: 0x10000 }, (_, bits) => halfValue(bits)));
  if (at + halves.length > into.length) throw new RangeError(`${halves.length} halves do not fit at ${at} of ${into.length} floats`);
  for (let i = 0; i < halves.length; i++) into[at + i] = table[halves[i]!]!;
}
