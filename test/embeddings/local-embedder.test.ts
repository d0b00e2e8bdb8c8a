import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createLocalEmbedder, dot, embedderIdentity } from "../../lib/embeddings";

const norm = (v: Float32Array) => Math.sqrt(dot(v, v));

describe("local embedder", () => {
  const embedder = createLocalEmbedder();

  it("says it is local-hash-v1 with 1024 dimensions, like bge-m3", () => {
    expect(embedderIdentity(embedder)).toEqual({ embedder: "local", model: "local-hash-v1", dim: 1024 });
  });

  it("makes exactly the vectors local-hash-v1 has always made (vaults store them; a change needs a new model name)", async () => {
    // Words, stop words, identifiers, accents, CJK, an empty text: the digest of the vectors' bytes as made
    // when the model was defined. Any change to the tokeniser, hashing, weights or stop words moves it.
    const texts = ["The cat sat on the mat, and it was not happy about it.", "ORD-88412: parse_invoice_v2 failed for calculateTotal()", "Zürich → São Paulo — résumé", "東京の天気は晴れです", "", "a an the of to in"];
    const hash = createHash("sha256");
    for (const vector of await embedder.embed(texts)) hash.update(Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));

    expect(hash.digest("hex")).toBe("64ae4122ed53ebddf98db9ee369a866f86db2df3cf7cb1316c07128cc862fdd9");
  });

  it("returns one vector per text, in order, of length dim", async () => {
    const vectors = await embedder.embed(["first text", "second text", "third"]);

    expect(vectors).toHaveLength(3);
    for (const v of vectors) expect(v).toBeInstanceOf(Float32Array);
    for (const v of vectors) expect(v.length).toBe(1024);
    expect(Array.from(vectors[0]!)).toEqual(Array.from((await embedder.embed(["first text"]))[0]!));
  });

  it("writes into a matrix, at the rows named, exactly the vectors embed returns, and nothing else", async () => {
    const texts = ["The cat sat on the mat.", "", "東京の天気は晴れです", "ORD-88412 failed"];
    const rows = [3, 0, 5, 1];
    // Rows named hold leftovers (the embedder overwrites them); the others must keep theirs.
    const matrix = new Float32Array(7 * 1024).fill(0.5);

    await embedder.embedInto!(texts, matrix, rows);

    const vectors = await embedder.embed(texts);
    rows.forEach((row, index) => expect(Array.from(matrix.subarray(row * 1024, (row + 1) * 1024))).toEqual(Array.from(vectors[index]!)));
    for (const row of [2, 4, 6]) expect(matrix.subarray(row * 1024, (row + 1) * 1024).every((x) => x === 0.5)).toBe(true);
    await expect(embedder.embedInto!(texts, matrix, [0, 1])).rejects.toThrow(/4 texts for 2 rows/);
    await expect(embedder.embedInto!(["x"], matrix, [7])).rejects.toThrow(/a row of 0 floats/);
  });

  it("gives the same text the same vector across calls and instances", async () => {
    const text = "Plan a three-day trip to Lisbon with a budget of 600 euros.";

    const [a] = await embedder.embed([text]);
    const [b] = await createLocalEmbedder().embed([text]);

    expect(Array.from(a!)).toEqual(Array.from(b!));
  });

  it("returns unit vectors for any text, including empty, punctuation-only and emoji-only ones", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 400 }), async (text) => {
        const [v] = await embedder.embed([text]);
        expect(norm(v!)).toBeCloseTo(1, 5);
      }),
      { numRuns: 300 },
    );
    for (const text of ["", "   ", "?!…", "👍🎉"]) {
      const [v] = await embedder.embed([text]);
      expect(norm(v!)).toBeCloseTo(1, 5);
    }
  });

  it("embeds texts without words as one shared vector, nearly orthogonal to real texts", async () => {
    const [empty, punctuation, real] = await embedder.embed(["", "—!?", "how do I bake sourdough bread"]);

    expect(dot(empty!, punctuation!)).toBeCloseTo(1, 5);
    expect(Math.abs(dot(empty!, real!))).toBeLessThan(0.2);
  });

  it("scores texts on the same topic higher than unrelated texts", async () => {
    const [query, related, unrelated] = await embedder.embed([
      "How long should I proof sourdough bread dough in the fridge overnight?",
      "My sourdough bread came out flat; maybe the dough needed a longer proof in the fridge.",
      "Configure the AWS Lambda timeout and the SQS visibility timeout for the ingest queue.",
    ]);

    expect(dot(query!, related!)).toBeGreaterThan(dot(query!, unrelated!) + 0.2);
  });

  it("ignores case and punctuation around words", async () => {
    const [a, b] = await embedder.embed(["Sourdough Bread, please!", "sourdough bread please"]);

    expect(dot(a!, b!)).toBeCloseTo(1, 5);
  });

  it("tells texts with the same words in a different order apart through bigrams", async () => {
    const [a, b] = await embedder.embed(["dog bites man", "man bites dog"]);

    expect(dot(a!, b!)).toBeGreaterThan(0.5);
    expect(dot(a!, b!)).toBeLessThan(0.99);
  });

  it("finds shared words in Chinese and Japanese text written without spaces", async () => {
    const [query, related, unrelated] = await embedder.embed(["东京的会议日程", "明天东京会议的日程安排", "我喜欢吃苹果和香蕉"]);

    expect(dot(query!, related!)).toBeGreaterThan(dot(query!, unrelated!) + 0.2);
  });

  it("makes vectors of the dimension it is given", async () => {
    const [v] = await createLocalEmbedder({ dim: 384 }).embed(["a smaller vault"]);

    expect(v!.length).toBe(384);
    expect(norm(v!)).toBeCloseTo(1, 5);
  });

  it("rejects with the signal's reason when aborted before it starts", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));

    await expect(embedder.embed(["x"], { signal: controller.signal })).rejects.toThrow("stop");
  });
});
