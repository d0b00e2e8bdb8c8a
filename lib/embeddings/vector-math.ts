/** Scales `vector` in place to unit length and returns its original length (0 leaves it untouched). */
export function normaliseInPlace(vector: Float32Array): number {
  let sumOfSquares = 0;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i]!;
    sumOfSquares += x * x;
  }
  const norm = Math.sqrt(sumOfSquares);
  // Already unit length (bge-m3 servers normalise) within float32 precision: skip rewriting it.
  if (norm > 0 && Math.abs(norm - 1) > 1e-6) {
    const scale = 1 / norm;
    for (let i = 0; i < vector.length; i++) vector[i]! *= scale;
  }
  return norm;
}

/** Dot product; for the unit vectors every `Embedder` returns, this is their cosine similarity. */
export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`vectors differ in length: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
