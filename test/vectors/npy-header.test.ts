import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeNpyHeader, npyByteLength, npyPreambleLength, npyRowCount, parseNpyHeader } from "../../lib/vectors/npy";

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** Builds a preamble by hand: any version, any dict text, any padding, like a third-party writer. */
function preamble(version: 1 | 2 | 3, dict: string): Uint8Array {
  const body = version === 3 ? new TextEncoder().encode(dict) : latin1(dict);
  const field = version === 1 ? 2 : 4;
  const out = new Uint8Array(8 + field + body.length);
  out.set(latin1("\x93NUMPY"), 0);
  out[6] = version;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, body.length, true);
  else view.setUint32(8, body.length, true);
  out.set(body, 8 + field);
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
    expect(parseNpyHeader(encodeNpyHeader(100_000, 1024))).toEqual({
      version: "1.0",
      headerLength: 128,
      descr: "<f4",
      fortranOrder: false,
      shape: [100_000, 1024],
      rows: 100_000,
      dim: 1024,
      dataLength: 100_000 * 1024 * 4,
    });
  });

  it("uses the declared header length, not numpy's usual one", () => {
    const bytes = preamble(1, "{'descr':'<f4','fortran_order':False,'shape':(2,3)}\n");
    const header = parseNpyHeader(bytes);
    expect(header.headerLength).toBe(bytes.length);
    expect(header.headerLength % 64).not.toBe(0);
    expect(header.shape).toEqual([2, 3]);
  });

  it("reads any valid spelling of the dict: spacing, quotes, key order, trailing commas, L suffixes", () => {
    const space = fc.constantFrom("", " ", "  ", "\t", "\n");
    fc.assert(
      fc.property(
        fc.array(space, { minLength: 16, maxLength: 16 }),
        fc.constantFrom("'", '"'),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 3_000_000 }),
        fc.integer({ min: 1, max: 4096 }),
        fc.nat(5),
        (ws, q, trailingComma, tupleComma, longs, rows, dim, rotation) => {
          const w = (i: number) => ws[i]!;
          const n = (v: number) => `${v}${longs ? "L" : ""}`;
          const entries = [
            `${q}descr${q}${w(0)}:${w(1)}${q}<f4${q}`,
            `${q}fortran_order${q}${w(2)}:${w(3)}False`,
            `${q}shape${q}${w(4)}:${w(5)}(${w(6)}${n(rows)}${w(7)},${w(8)}${n(dim)}${w(9)}${tupleComma ? "," : ""}${w(10)})`,
          ];
          const ordered = [...entries.slice(rotation % 3), ...entries.slice(0, rotation % 3)];
          const dict = `${w(11)}{${w(12)}${ordered.join(`${w(13)},${w(14)}`)}${trailingComma ? "," : ""}${w(15)}}`;
          expect(parseNpyHeader(preamble(1, dict + " \n"))).toMatchObject({ rows, dim, descr: "<f4", fortranOrder: false });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reads version 2.0 headers with a four-byte length field", () => {
    const header = parseNpyHeader(preamble(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 8), }" + " ".repeat(100) + "\n"));
    expect(header).toMatchObject({ version: "2.0", rows: 5, dim: 8 });
  });

  it("reads version 3.0 headers as UTF-8", () => {
    const header = parseNpyHeader(preamble(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }\n"));
    expect(header).toMatchObject({ version: "3.0", rows: 1, dim: 2 });
  });

  it("ignores data bytes after the preamble", () => {
    const bytes = new Uint8Array(200);
    bytes.set(encodeNpyHeader(2, 4));
    expect(parseNpyHeader(bytes).rows).toBe(2);
  });

  it("accepts the empty shapes (0, D) and (0,)", () => {
    expect(parseNpyHeader(encodeNpyHeader(0, 1024))).toMatchObject({ rows: 0, dim: 1024, dataLength: 0 });
    expect(parseNpyHeader(preamble(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }\n"))).toMatchObject({
      shape: [0],
      rows: 0,
      dim: 0,
    });
  });

  it.each([
    ["big-endian float32", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", /'>f4'/],
    ["float64", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", /only little-endian float32/],
    ["a structured dtype", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", /unsupported dtype/],
    ["Fortran order", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", /fortran_order is True/],
    ["a 3-D shape", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", /expected a 2-D matrix/],
    ["a non-empty 1-D shape", "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", /expected a 2-D matrix/],
    ["rows of zero floats", "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 0), }", /rows of zero floats/],
  ])("rejects %s as unsupported_npy", (_what, dict, message) => {
    expect(() => parseNpyHeader(preamble(1, dict + "\n"))).toThrow(expect.objectContaining({ code: "unsupported_npy", message: expect.stringMatching(message) }));
  });

  it.each([
    ["a missing key", "{'descr': '<f4', 'shape': (2, 2), }", /keys are \[descr, shape\]/],
    ["an extra key", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", /keys are/],
    ["a negative dimension", "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 2), }", /non-negative/],
    ["a string fortran_order", "{'descr': '<f4', 'fortran_order': 'no', 'shape': (2, 2), }", /True or False/],
    ["a list instead of a dict", "['descr', '<f4']", /not a dict/],
    ["garbage", "\x00\x01\x02", /not a valid Python literal/],
  ])("rejects %s as invalid_npy", (_what, dict, message) => {
    expect(() => parseNpyHeader(preamble(1, dict))).toThrow(expect.objectContaining({ code: "invalid_npy", message: expect.stringMatching(message) }));
  });

  it("rejects bytes without the magic string", () => {
    expect(() => parseNpyHeader(latin1("PK\x03\x04 this is a zip file"))).toThrow(/magic string/);
  });

  it("rejects an unknown format version", () => {
    const bytes = encodeNpyHeader(1, 1);
    bytes[6] = 4;
    expect(() => parseNpyHeader(bytes)).toThrow(expect.objectContaining({ code: "unsupported_npy", message: expect.stringMatching(/version 4.0/) }));
  });

  it("rejects a header cut short, saying how many bytes it has", () => {
    const bytes = encodeNpyHeader(3, 4);
    expect(() => parseNpyHeader(bytes.subarray(0, 5))).toThrow(/truncated .npy header: got 5 bytes/);
    expect(() => parseNpyHeader(bytes.subarray(0, 100))).toThrow(/truncated .npy header: got 100 bytes of 128/);
  });

  it("rejects a header length beyond the safety limit before reading it", () => {
    const bytes = preamble(2, "{}");
    new DataView(bytes.buffer).setUint32(8, 0xffffffff, true);
    expect(() => npyPreambleLength(bytes)).toThrow(/exceeds/);
  });
});

describe("npyRowCount", () => {
  it("returns the rows the header declares", () => {
    expect(npyRowCount(encodeNpyHeader(12_345, 1024))).toBe(12_345);
    expect(npyRowCount(encodeNpyHeader(0, 1024))).toBe(0);
  });
});
