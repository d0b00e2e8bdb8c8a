import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_TERM_LENGTH, terms } from "../../lib/search/tokens";

/** The definition `terms` keeps: every `WORD` match, its `PART`s, then the match whole when it joins parts. */
function termsByRegex(text: string): string[] {
  const out: string[] = [];
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}_]+(?:[-./:#][\p{L}\p{N}_]+)*/gu)) {
    const word = match[0];
    const parts = word.match(/[\p{L}\p{N}_]+/gu)!;
    for (const part of parts) if (part.length <= MAX_TERM_LENGTH) out.push(part);
    if (parts.length > 1 && word.length <= MAX_TERM_LENGTH) out.push(word);
  }
  return out;
}

// Letters, digits and `_`; each joiner, alone and doubled; spaces and punctuation; accented, Greek,
// Cyrillic and CJK letters; `İ` (two code units once lower-cased); astral letters and digits (𝐀, 𝟙)
// and an emoji (surrogate pairs); lone surrogates; a combining mark; runs that meet the length limit.
const pieces = ["a", "Z", "7", "_", "-", ".", "/", ":", "#", "--", " ", "\n", ",", "!", "é", "Ω", "ж", "漢", "İ", "𝐀", "𝟙", "😀", "\ud800", "\udc00", "\u0301", "x".repeat(32), "q".repeat(63)];
const text = fc.array(fc.constantFrom(...pieces), { maxLength: 60 }).map((parts) => parts.join(""));

describe("terms", () => {
  it("finds exactly the terms of the regex definition, whatever the text", () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.string({ unit: "binary", maxLength: 80 })), (input) => {
        expect(terms(input)).toEqual(termsByRegex(input));
      }),
      { numRuns: 3000 },
    );
  });

  it("keeps a compound's parts and leaves out words longer than the limit", () => {
    const long = "y".repeat(MAX_TERM_LENGTH + 1);
    expect(terms(`v1.2-rc ${long} a-${long}`)).toEqual(["v1", "2", "rc", "v1.2-rc", "a"]);
  });
});
