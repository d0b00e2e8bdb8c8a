import { describe, expect, it } from "vitest";
import { parsePythonLiteral } from "../../lib/vectors/python-literal";

describe("parsePythonLiteral", () => {
  it("reads numpy's own header dict", () => {
    const value = parsePythonLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }    \n");
    expect(value).toEqual(new Map<string, unknown>([["descr", "<f4"], ["fortran_order", false], ["shape", [3, 4]]]));
  });

  it("accepts other spacing, double quotes, no trailing comma and newlines inside the dict", () => {
    const value = parsePythonLiteral('{ "shape" :( 3 ,4 ) ,\n\t"fortran_order":False,"descr":"<f4"}');
    expect(value).toEqual(new Map<string, unknown>([["shape", [3, 4]], ["fortran_order", false], ["descr", "<f4"]]));
  });

  it("reads one-element tuples, empty tuples, lists, None, True and Python 2 longs", () => {
    expect(parsePythonLiteral("(0,)")).toEqual([0]);
    expect(parsePythonLiteral("()")).toEqual([]);
    expect(parsePythonLiteral("[1, 2,]")).toEqual([1, 2]);
    expect(parsePythonLiteral("(3L, 4L)")).toEqual([3, 4]);
    expect(parsePythonLiteral("(None, True)")).toEqual([null, true]);
  });

  it("treats a parenthesised value without a comma as the value, as Python does", () => {
    expect(parsePythonLiteral("(7)")).toBe(7);
  });

  it("decodes string escapes and the u prefix", () => {
    expect(parsePythonLiteral(String.raw`'it\'s \x41\u00e9\\'`)).toBe("it's Aé\\");
    expect(parsePythonLiteral(`u'descr'`)).toBe("descr");
  });

  it.each([
    ["an unterminated string", "{'descr: 1}"],
    ["a missing colon", "{'descr' '<f4'}"],
    ["an unclosed dict", "{'descr': '<f4', "],
    ["a bare word", "{'descr': float32}"],
    ["a float", "(3.5, 4)"],
    ["text after the literal", "{} {}"],
    ["a non-string key", "{1: 2}"],
    ["an integer beyond 2^53", "(99999999999999999999, 4)"],
    ["hostile nesting", "(".repeat(100) + ")".repeat(100)],
  ])("rejects %s with an invalid_npy error", (_what, source) => {
    expect(() => parsePythonLiteral(source)).toThrow(expect.objectContaining({ code: "invalid_npy" }));
  });
});
