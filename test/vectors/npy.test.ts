import { describe, expect, it } from "vitest";
import { decodeNpy, encodeNpy, npyByteLength, npyMatrix } from "../../lib/vectors/npy";

const matrix = (rows: number, dim: number) => Float32Array.from({ length: rows * dim }, (_, i) => Math.fround(i * 0.25 - 3));

describe("encodeNpy / decodeNpy", () => {
  it("round-trips a matrix through the file format", () => {
    const data = matrix(7, 5);
    const bytes = encodeNpy(data, 7, 5);
    expect(bytes.length).toBe(npyByteLength(7, 5));
    expect(decodeNpy(bytes)).toEqual({ rows: 7, dim: 5, data });
  });

  it("writes the floats little-endian right after the 64-byte-aligned preamble", () => {
    const bytes = encodeNpy(Float32Array.of(1, -2), 1, 2);
    const view = new DataView(bytes.buffer);
    expect(view.getFloat32(128, true)).toBe(1);
    expect(view.getFloat32(132, true)).toBe(-2);
  });

  it("fills a file in place that has the bytes encodeNpy writes for the same matrix", () => {
    const built = npyMatrix(7, 5);
    expect(built.data).toEqual(new Float32Array(35));
    built.data.set(matrix(7, 5));
    expect(Buffer.from(built.file()).equals(Buffer.from(encodeNpy(matrix(7, 5), 7, 5)))).toBe(true);
    expect(built.file().buffer).toBe(built.data.buffer);
  });

  it("round-trips an empty matrix", () => {
    expect(decodeNpy(encodeNpy(new Float32Array(0), 0, 1024))).toEqual({ rows: 0, dim: 1024, data: new Float32Array(0) });
  });

  it("decodes a file whose data does not start on a 4-byte boundary of its buffer", () => {
    const file = encodeNpy(matrix(3, 2), 3, 2);
    const shifted = new Uint8Array(file.length + 1).subarray(1);
    shifted.set(file);
    expect(decodeNpy(shifted).data).toEqual(matrix(3, 2));
  });

  it("rejects a matrix whose length disagrees with its shape", () => {
    expect(() => encodeNpy(new Float32Array(5), 2, 3)).toThrow(expect.objectContaining({ code: "invalid_vectors" }));
  });

  it("rejects a file whose data section is cut short", () => {
    const bytes = encodeNpy(matrix(3, 4), 3, 4);
    expect(() => decodeNpy(bytes.subarray(0, bytes.length - 2))).toThrow(
      expect.objectContaining({ code: "invalid_npy", message: expect.stringMatching(/truncated .npy data: 46 data bytes.*needs 48/) }),
    );
  });

  it("rejects a file with bytes after its declared data", () => {
    const bytes = encodeNpy(matrix(1, 4), 1, 4);
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expect(() => decodeNpy(longer)).toThrow(/trailing bytes/);
  });
});
