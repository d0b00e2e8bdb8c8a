import { describe, expect, it } from "vitest";
import { type JsonElement, readJsonElements } from "../../lib/exports/json-elements";

const LIMITS = { maxElementBytes: 1 << 20, maxDepth: 64 };

async function elements(text: string, chunkBytes = 1 << 16, options: { limits?: typeof LIMITS; wantKey?: (key: string) => boolean } = {}): Promise<JsonElement[]> {
  const bytes = Buffer.from(text);
  const chunks = async function* () {
    for (let offset = 0; offset < bytes.length; offset += chunkBytes) yield bytes.subarray(offset, offset + chunkBytes);
  };
  const found: JsonElement[] = [];
  for await (const element of readJsonElements(chunks(), { limits: options.limits ?? LIMITS, ...(options.wantKey && { wantKey: options.wantKey }) })) found.push(element);
  return found;
}

async function failure(text: string, limits = LIMITS): Promise<{ code: string }> {
  return elements(text, 7, { limits }).then(
    () => ({ code: "none" }),
    (error: { code: string }) => error,
  );
}

describe("readJsonElements", () => {
  it("yields each element of a top-level array, parsed", async () => {
    const text = `[{"a": 1}, [2, 3], "four", 5, true, null]`;

    const found = await elements(text);

    expect(found.map((element) => element.value)).toEqual([{ a: 1 }, [2, 3], "four", 5, true, null]);
    expect(found.every((element) => element.key === null)).toBe(true);
  });

  it("gives the same elements whatever the chunk boundaries", async () => {
    const text = `\ufeff [ {"q": "a \\" ] } [ quote", "e": "\\\\"}, {"n": [1, {"x": "é😀"}]}, -1.5e3 , "s\\"", {"r": "\\\\\\" ] \\\\\\\\"} ]\n`;
    const expected = JSON.parse(text.replace("\ufeff", ""));

    for (let chunkBytes = 1; chunkBytes <= 16; chunkBytes++) {
      const found = await elements(text, chunkBytes);

      expect(found.map((element) => element.value)).toEqual(expected);
    }
  });

  it("streams the arrays of a top-level object under their member name", async () => {
    const text = `{"conversations": [{"id": 1}, {"id": 2}], "version": 3, "other": []}`;

    const found = await elements(text, 5);

    expect(found).toEqual([
      { key: "conversations", member: false, value: { id: 1 }, tooLarge: false, offset: 19 },
      { key: "conversations", member: false, value: { id: 2 }, tooLarge: false, offset: 30 },
      { key: "version", member: true, value: 3, tooLarge: false, offset: 53 },
    ]);
  });

  it("scans past unwanted members without parsing them", async () => {
    const text = `{"media_posts": [{"broken": }], "conversations": [{"id": 1}]}`;

    const found = await elements(text, 3, { wantKey: (key) => key === "conversations" });

    expect(found.map((element) => element.value)).toEqual([{ id: 1 }]);
  });

  it("reports an element over the size cap as too large and carries on", async () => {
    const text = `[{"big": "${"x".repeat(200)}"}, {"small": 1}]`;

    const found = await elements(text, 16, { limits: { maxElementBytes: 100, maxDepth: 64 } });

    expect(found.map((element) => [element.tooLarge, element.value])).toEqual([
      [true, undefined],
      [false, { small: 1 }],
    ]);
  });

  it("refuses nesting deeper than the limit", async () => {
    const text = `[${"[".repeat(100)}${"]".repeat(100)}]`;

    await expect(failure(text)).resolves.toMatchObject({ code: "too_deeply_nested" });
  });

  it("refuses a million levels of nesting quickly and without a stack overflow", async () => {
    const text = "[".repeat(1_000_000);

    await expect(failure(text)).resolves.toMatchObject({ code: "too_deeply_nested" });
  });

  it.each([
    ["", "empty_file"],
    [" \n\t ", "empty_file"],
    ["[1, 2", "truncated_json"],
    [`[{"a": "unterminated`, "truncated_json"],
    [`{"conversations": [`, "truncated_json"],
    ["[1 2]", "invalid_json"],
    ["[1,,2]", "invalid_json"],
    ["[1,]", "invalid_json"],
    [`[{"a": 1,}]`, "invalid_json"],
    [`[{"a": tru}]`, "invalid_json"],
    [`{"a" 1}`, "invalid_json"],
    ["[] []", "invalid_json"],
    ["<!DOCTYPE html><html>", "not_json"],
    ["hello", "not_json"],
    [`"just a string"`, "unknown_format"],
    ["42", "unknown_format"],
  ])("rejects %j as %s", async (text, code) => {
    await expect(failure(text)).resolves.toMatchObject({ code });
  });
});
