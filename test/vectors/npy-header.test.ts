import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeNpyHeader, npyByteLength, npyRowCount, parseNpyHeader } from "../../lib/vectors/npy";

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** A version 1.0 preamble around any dict text, as another writer might make it. */
function preamble(dict: string, version = 1): Uint8Array {
  const body = latin1(dict);
  const out = new Uint8Array(10 + body.length);
  out.set(latin1("\x93NUMPY"), 0);
  out[6] = version;
  new DataView(out.buffer).setUint16(8, body.length, true);
  out.set(body, 10);
  return out;
}

describe("encodeNpyHeader", () => {
  it("writes the exact 128 bytes numpy.save writes for a (3, 4) float32 array", () => {
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
    // 20 spaces of growth room (21 - len("3")), 38 spaces of padding to 64-byte alignment, then \n.
    const expected = latin1("\x93NUMPY\x01\x00" + "v\x00" + dict + " ".repeat(20) + " ".repeat(38) + "\n");
    expect(expected.length).toBe(128);
    expect(encodeNpyHeader(3, 4)).toEqual(expected);
  });

  it("pads every preamble to a multiple of 64 bytes ending in a newline", () => {
    for (const [rows, dim] of [[0, 0], [0, 1024], [1, 1], [99, 7], [100_000, 1024], [123_456_789, 4096]] as const) {
      const bytes = encodeNpyHeader(rows, dim);
      expect(bytes.length % 64).toBe(0);
      expect(bytes[bytes.length - 1]).toBe(0x0a);
      expect(new DataView(bytes.buffer).getUint16(8, true)).toBe(bytes.length - 10);
    }
  });

  it("adds a full 64 spaces when the header would already be aligned, as numpy does", () => {
    // 10 + 69 + 20 + 1 = 100 is not aligned; probe every small shape for the aligned case instead.
    for (let dim = 1; dim < 100_000; dim *= 10) {
      for (let rows = 1; rows < 1e9; rows = rows * 10 + 1) {
        const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
        const used = 10 + dict.length + (21 - String(rows).length) + 1;
        const pad = 64 - (used % 64);
        expect(encodeNpyHeader(rows, dim).length).toBe(used + pad);
      }
    }
  });

  it("sizes the whole file as preamble plus four bytes per float", () => {
    expect(npyByteLength(100_000, 1024)).toBe(128 + 100_000 * 1024 * 4);
  });
});

describe("parseNpyHeader", () => {
  it("reads back what encodeNpyHeader writes", () => {
    expect(parseNpyHeader(encodeNpyHeader(100_000, 1024))).toEqual({ headerLength: 128, rows: 100_000, dim: 1024, dataLength: 100_000 * 1024 * 4 });
  });

  it("reads back every shape encodeNpyHeader writes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 8192 }), (rows, dim) => {
        expect(parseNpyHeader(encodeNpyHeader(rows, dim))).toMatchObject({ rows, dim });
      }),
    );
  });

  it("ignores data bytes after the preamble", () => {
    const bytes = new Uint8Array(200);
    bytes.set(encodeNpyHeader(2, 4));
    expect(parseNpyHeader(bytes).rows).toBe(2);
  });

  it("accepts the empty matrix (0, D)", () => {
    expect(parseNpyHeader(encodeNpyHeader(0, 1024))).toMatchObject({ rows: 0, dim: 1024, dataLength: 0 });
  });

  it.each([
    ["big-endian float32", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }"],
    ["float64", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }"],
    ["Fortran order", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"],
    ["a 3-D shape", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }"],
    ["a negative dimension", "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 2), }"],
    ["another writer's spelling", '{"descr": "<f4", "fortran_order": False, "shape": (2, 2)}'],
    ["garbage", "\x00\x01\x02"],
  ])("rejects %s: only the header this code writes is read", (_what, dict) => {
    expect(() => parseNpyHeader(preamble(dict + "\n"))).toThrow(expect.objectContaining({ code: "invalid_npy", message: expect.stringMatching(/not the <f4 C-order matrix header/) }));
  });

  it("rejects bytes without the magic string", () => {
    expect(() => parseNpyHeader(latin1("PK\x03\x04 this is a zip file"))).toThrow(/magic string/);
  });

  it("rejects a format version other than 1.0", () => {
    const bytes = encodeNpyHeader(1, 1);
    bytes[6] = 2;
    expect(() => parseNpyHeader(bytes)).toThrow(expect.objectContaining({ code: "invalid_npy", message: expect.stringMatching(/version 2.0/) }));
  });

  it("rejects a header cut short, saying how many bytes it has", () => {
    const bytes = encodeNpyHeader(3, 4);
    expect(() => parseNpyHeader(bytes.subarray(0, 5))).toThrow(/truncated .npy header: got 5 bytes/);
    expect(() => parseNpyHeader(bytes.subarray(0, 100))).toThrow(/truncated .npy header: got 100 bytes of 128/);
  });
});

describe("npyRowCount", () => {
  it("returns the rows the header declares", () => {
    expect(npyRowCount(encodeNpyHeader(12_345, 1024))).toBe(12_345);
    expect(npyRowCount(encodeNpyHeader(0, 1024))).toBe(0);
  });
});
