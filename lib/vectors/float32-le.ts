/**
 * `.npy` data here is little-endian (`<f4`) while a Float32Array uses the host's byte order. Every host
 * Node runs on today is little-endian, so the fast paths are plain views; the swaps keep a big-endian
 * host correct rather than silently wrong.
 */
export const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The little-endian bytes of `floats`: a view of the same memory on little-endian hosts, else a copy. */
export function float32LeBytes(floats: Float32Array): Uint8Array {
  const view = new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
  if (LITTLE_ENDIAN_HOST) return view;
  const copy = view.slice();
  swapFloat32Bytes(copy);
  return copy;
}

/** Reverses each 4-byte group in place: little-endian floats to host order on a big-endian host. */
export function swapFloat32Bytes(bytes: Uint8Array): void {
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const a = bytes[i]!;
    const b = bytes[i + 1]!;
    bytes[i] = bytes[i + 3]!;
    bytes[i + 1] = bytes[i + 2]!;
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}

/** Copies little-endian float32 bytes into a new host-order Float32Array (any source alignment). */
export function float32FromLeBytes(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length >>> 2);
  const outBytes = new Uint8Array(out.buffer);
  outBytes.set(bytes.subarray(0, out.length * 4));
  if (!LITTLE_ENDIAN_HOST) swapFloat32Bytes(outBytes);
  return out;
}
