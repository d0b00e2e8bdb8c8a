import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLexicalBuilder, loadLexicalIndex } from "../../lib/search/lexical-index";
import { terms } from "../../lib/search/tokens";

// Pieces of text that reach every branch of the tokeniser (joiners, surrogate pairs, lone surrogates,
// two-unit lower-casing, the length limit), and words whose 32-bit FNV-1a hashes are equal
// ("costarring" and "liquid", and three more pairs), so the builder cannot take a hash for a word.
const collisions = ["costarring", "liquid", "declinate", "macallums", "altarage", "zinke", "altarages", "zinkes"];
const pieces = [
  "a", "Z", "7", "_", "-", ".", "/", ":", "#", "--", " ", " ", " ", "\n", ",", "!", "é", "Ω", "ж", "漢", "İ", "𝐀", "𝟙", "😀",
  "\ud800", "\udc00", "\u0301", "x".repeat(32), "q".repeat(63), "order", "ORD-88412", "v1.2", "the", "walnut", ...collisions,
];

/** A fixed corpus (a seeded linear congruential generator picks the pieces), the same on every run. */
function fixedCorpus(): string[] {
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: 600 }, () => Array.from({ length: Math.floor(next() * 160) }, () => pieces[Math.floor(next() * pieces.length)]).join(""));
}

function build(texts: readonly string[]): Buffer {
  const builder = createLexicalBuilder();
  texts.forEach((text, row) => builder.add(row, text));
  return builder.encode();
}

describe("lexical index builder", () => {
  it("writes the same bytes as the Map-of-strings builder it replaced (digest taken from that code)", () => {
    expect(createHash("sha256").update(build(fixedCorpus())).digest("hex")).toBe("c20efdcf4e35abc15f35d2c8f3ff432777954149f267f867691a21cccc5c115a");
  });

  it("indexes exactly the rows whose terms hold each word, whatever the texts", () => {
    const text = fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(fc.array(fc.oneof(text, fc.string({ unit: "binary", maxLength: 60 })), { minLength: 1, maxLength: 12 }), (texts) => {
        const index = loadLexicalIndex(build(texts));
        const rowsOf = new Map<string, number[]>();
        texts.forEach((value, row) => {
          for (const term of new Set(terms(value))) rowsOf.set(term, [...(rowsOf.get(term) ?? []), row]);
        });
        for (const [term, rows] of rowsOf) {
          expect(index.documentFrequency(term)).toBe(rows.length);
          expect(index.rowsWithAll([term])).toEqual(rows);
        }
        for (const word of collisions) if (!rowsOf.has(word)) expect(index.documentFrequency(word)).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});
