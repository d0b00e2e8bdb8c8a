import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashedFeatureVector, hashedFeatureVectorOfLowerCased } from "../../lib/embeddings/hashed-features";
import { embeddingText, lowerCasedTexts, type VaultNode } from "../../lib/ingest/vault-nodes";
import { createLexicalBuilder } from "../../lib/search/lexical-index";
import { searchableText } from "../../lib/search/searchable-text";

// Pieces of text where lower-casing depends on context or changes length: capital sigmas (final or not,
// by the letters around them, across case-ignorable marks), dotted capital I (two code units lower-cased),
// astral letters, and the separators and joiners of both tokenisers.
const pieces = ["Σ", "ΟΔΟΣ", "σ", "ς", "A", "b", "İ", "Ω", "é", "\u0301", "'", ":", ".", "-", "#", " ", "\n", "𐐀", "😀", "漢", "ORD-88412", "Walnut", "the", "x".repeat(70), "7"];
const text = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((parts) => parts.join(""));

const exchange = fc.record({
  title: fc.option(text, { nil: null }),
  human: text,
  assistant: text,
  attachments: fc.option(fc.array(fc.record({ name: text, text: fc.option(text, { nil: undefined }) }), { maxLength: 3 }), { nil: undefined }),
}).map(({ title, human, assistant, attachments }): VaultNode => ({
  kind: "exchange",
  id: "0".repeat(32),
  source: "openai",
  conversation_id: "c",
  conversation_title: title,
  sequence_index: 0,
  created_at: null,
  human,
  assistant,
  ...(attachments && { attachments: attachments.map((file) => ({ name: file.name, ...(file.text !== undefined && { text: file.text }) })) }),
  hash: "0".repeat(64),
  upload_id: "u",
}) as VaultNode);

const profile = fc.record({ label: fc.option(text, { nil: undefined }), text }).map(({ label, text }): VaultNode => ({
  kind: "profile",
  id: "1".repeat(32),
  source: "openai",
  profile_kind: "custom_instructions",
  ...(label !== undefined && { label }),
  text,
  hash: "1".repeat(64),
  upload_id: "u",
}) as VaultNode);

const node = fc.oneof(exchange, profile);

describe("a node's texts lower-cased once for the embedder and the lexical index", () => {
  it("are its embedding text and searchable text lower-cased whole, whatever the letters at the fields' edges", () => {
    fc.assert(
      fc.property(node, (value) => {
        const { embedding, search } = lowerCasedTexts(value);
        expect(embedding.join("")).toBe(embeddingText(value).toLowerCase());
        expect(search.join("\n")).toBe(searchableText(value).toLowerCase());
      }),
      { numRuns: 2_000 },
    );
  });

  it("give the same local-hash-v1 vectors, bit for bit, and the same lexical index bytes", () => {
    fc.assert(
      fc.property(fc.array(node, { minLength: 1, maxLength: 8 }), (nodes) => {
        const whole = createLexicalBuilder();
        const lowered = createLexicalBuilder();
        nodes.forEach((value, row) => {
          const texts = lowerCasedTexts(value);
          expect(Buffer.from(hashedFeatureVectorOfLowerCased(texts.embedding, 64).buffer)).toEqual(Buffer.from(hashedFeatureVector(embeddingText(value), 64).buffer));
          whole.add(row, searchableText(value));
          lowered.addLowerCased(row, texts.search);
        });
        expect(lowered.encode().equals(whole.encode())).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("may cut a word between two pieces: the vector is the joined text's", () => {
    const joined = hashedFeatureVector("Hello wide world, hello", 1024);
    expect([...hashedFeatureVectorOfLowerCased(["hel", "lo wi", "de world, hello"], 1024)]).toEqual([...joined]);
    expect([...hashedFeatureVectorOfLowerCased(["", "hello wide world, hello", ""], 1024)]).toEqual([...joined]);
    // A text of no words at all is the empty text's vector either way.
    expect([...hashedFeatureVectorOfLowerCased([], 1024)]).toEqual([...hashedFeatureVector("", 1024)]);
  });
});
