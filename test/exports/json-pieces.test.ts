import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJsonBytes, PIECE_BYTES } from "../../lib/exports/json-pieces";

/** What JSON.parse of the whole text gives: a value, or that it threw a SyntaxError. */
function whole(bytes: Buffer): { value: string } | { error: string } {
  try {
    return { value: JSON.stringify(JSON.parse(bytes.toString("utf8"))) };
  } catch (error) {
    return { error: (error as Error).name };
  }
}

function pieces(bytes: Buffer, pieceBytes: number): { value: string } | { error: string } {
  try {
    return { value: JSON.stringify(parseJsonBytes(bytes, pieceBytes)) };
  } catch (error) {
    return { error: (error as Error).name };
  }
}

/** JSON texts with whitespace of every kind between tokens, strings with escapes and non-ASCII. */
const jsonText = fc
  .tuple(
    fc.jsonValue({ maxDepth: 5 }),
    fc.oneof(fc.constant(undefined), fc.constant(1), fc.constant("\t"), fc.constant(" \r\n ")),
  )
  .map(([value, indent]) => JSON.stringify(value, null, indent));

const SIZES = [0, 1, 8, 64];

describe("parseJsonBytes", () => {
  it("gives what JSON.parse of the whole text gives, however small the pieces", () => {
    fc.assert(
      fc.property(jsonText, fc.constantFrom(...SIZES), (text, pieceBytes) => {
        const bytes = Buffer.from(text, "utf8");
        expect(pieces(bytes, pieceBytes)).toEqual(whole(bytes));
      }),
      { numRuns: 400 },
    );
  });

  it("refuses what JSON.parse refuses, and reads alike whatever damage leaves readable", () => {
    const damaged = fc.tuple(jsonText, fc.nat(), fc.constantFrom(..."{}[],:\"\\ 0tx\u00e9".split(""), ""), fc.nat({ max: 3 })).map(([text, at, insert, cut]) => {
      const where = at % (text.length + 1);
      return text.slice(0, where) + insert + text.slice(where + cut);
    });
    fc.assert(
      fc.property(damaged, fc.constantFrom(...SIZES), (text, pieceBytes) => {
        const bytes = Buffer.from(text, "utf8");
        expect(pieces(bytes, pieceBytes)).toEqual(whole(bytes));
      }),
      { numRuns: 1500 },
    );
  });

  it.each([
    ['{"a":1,}'],
    ['{"a":1 "b":2}'],
    ['{"a" 1}'],
    ["{a:1}"],
    ["[1,]"],
    ["[,1]"],
    ["[1 2]"],
    ['{"a":[1}'],
    ['{"a":"x}'],
    ['{"a":1} x'],
    ["[tru]"],
    ['{"a":1}}'],
    ["[1]]"],
    [""],
  ])("refuses %j as JSON.parse does", (text) => {
    for (const pieceBytes of SIZES) expect(() => parseJsonBytes(Buffer.from(text), pieceBytes)).toThrow(SyntaxError);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it("keeps a repeated name's first place and last value, and __proto__ as an own member", () => {
    const text = '{"a":1,"__proto__":{"polluted":true},"b":[2,"\\\\\\"",{"c":"\\u00e9"}],"a":3}';
    for (const pieceBytes of SIZES) {
      const parsed = parseJsonBytes(Buffer.from(text), pieceBytes) as Record<string, unknown>;
      expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
      expect(Object.keys(parsed)).toEqual(["a", "__proto__", "b"]);
      expect(JSON.stringify(parsed)).toBe(JSON.stringify(JSON.parse(text)));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  it("reads a conversation larger than a piece, with multi-byte text at every cut, as JSON.parse does", () => {
    const message = (index: number) => ({ id: `m${index}`, content: { parts: [`café — “${index}” 東京 😀 `.repeat(40 + (index % 7))] }, children: [`m${index + 1}`] });
    const conversation = { title: "Zürich\n\"quoted\"", mapping: Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`m${index}`, message(index)])), big: "é".repeat(PIECE_BYTES) };
    const bytes = Buffer.from(JSON.stringify(conversation, null, 1));
    expect(bytes.length).toBeGreaterThan(4 * PIECE_BYTES);
    expect(JSON.stringify(parseJsonBytes(bytes))).toBe(JSON.stringify(conversation));
  });
});
