import { describe, expect, it } from "vitest";
import type { VaultNode } from "../../lib/ingest/vault-nodes";
import { createSegmentBuilder, decodeSegmentPart, encodeSegmentPart, partLineLengths } from "../../lib/search/segment-builder";
import { plantedNode } from "../vectors/fixtures/planted-nodes";
import { plantedTopics } from "../vectors/fixtures/planted-topics";

const corpus = plantedTopics({ rows: 1_000, dim: 8, seed: 11 });
// Texts with what the tokeniser and UTF-8 lengths must get right, spread over the rows.
const extras = ["Ça coûte 3 € — naïve İstanbul", "日本語のテキスト and 𐦀 astral", "emoji 🎉🎉 tabs\tand\nnewlines", "quotes \" and \\ backslashes"];
const nodes: VaultNode[] = Array.from({ length: 1_000 }, (_, row) => {
  const node = plantedNode(corpus, row);
  return row % 37 === 0 && node.kind === "exchange" ? { ...node, human: `${node.human} ${extras[row % extras.length]}` } : node;
});
const lines = nodes.map((node) => Buffer.from(JSON.stringify(node), "utf8"));
const ids = nodes.map((node) => node.id);
const lengths = (of: readonly Buffer[]) => of.map((line) => line.length);

/** Where each line sits in nodes.json: `[\n`, then the lines joined by `,\n`. */
const offsets: number[] = [];
for (let row = 0, at = 2; row < nodes.length; at += lines[row]!.length + 2, row++) offsets.push(at);

function rowByRow(first: number, end: number) {
  const builder = createSegmentBuilder();
  for (let row = first; row < end; row++) builder.add(nodes[row]!, { offset: offsets[row]!, length: lines[row]!.length });
  return builder.encode();
}

describe("segment parts", () => {
  it("joins parts made apart, mixed with rows added one by one, into the files one builder over every row writes", () => {
    const expected = rowByRow(0, nodes.length);
    // Runs of rows: odd-numbered runs come as parts (as from embed workers), the others row by row.
    const cuts = [0, 7, 400, 401, 650, 653, 660, 1_000];
    for (let at = 660 + 13; at < 1_000; at += 13) cuts.splice(-1, 0, at);
    const builder = createSegmentBuilder();
    for (let run = 0; run + 1 < cuts.length; run++) {
      const [first, end] = [cuts[run]!, cuts[run + 1]!];
      if (run % 2 === 1) {
        const part = decodeSegmentPart(encodeSegmentPart(nodes.slice(first, end), lines.slice(first, end)));
        expect(builder.addPart(part, ids.slice(first, end), lengths(lines.slice(first, end)), offsets[first]!)).toBe(true);
      } else {
        for (let row = first; row < end; row++) builder.add(nodes[row]!, { offset: offsets[row]!, length: lines[row]!.length });
      }
    }
    expect(builder.rows).toBe(nodes.length);
    const joined = builder.encode();
    expect(joined.lexical.equals(expected.lexical)).toBe(true);
    expect(joined.memories.equals(expected.memories)).toBe(true);
  });

  it("gives the same files from parts alone as from the rows", () => {
    const builder = createSegmentBuilder();
    for (let first = 0; first < nodes.length; first += 256) {
      const end = Math.min(nodes.length, first + 256);
      expect(builder.addPart(decodeSegmentPart(encodeSegmentPart(nodes.slice(first, end), lines.slice(first, end))), ids.slice(first, end), lengths(lines.slice(first, end)), offsets[first]!)).toBe(true);
    }
    const joined = builder.encode();
    const expected = rowByRow(0, nodes.length);
    expect(joined.lexical.equals(expected.lexical)).toBe(true);
    expect(joined.memories.equals(expected.memories)).toBe(true);
  });

  it("carries the maker's own sections through, leaving the index files as they are", () => {
    const plain = decodeSegmentPart(encodeSegmentPart(nodes.slice(0, 10), lines.slice(0, 10)));
    const carrying = decodeSegmentPart(encodeSegmentPart(nodes.slice(0, 10), lines.slice(0, 10), { notes: Buffer.from("ten rows") }));
    expect(Buffer.from(carrying.extra.notes!).toString()).toBe("ten rows");
    expect(plain.extra).toEqual({});
    expect(partLineLengths(carrying)).toEqual(lengths(lines.slice(0, 10)));
    expect(Buffer.from(carrying.lexical).equals(plain.lexical)).toBe(true);
    expect(Buffer.from(carrying.memories).equals(plain.memories)).toBe(true);
  });

  it("refuses a part made of other rows or other lines, adding nothing", () => {
    const part = decodeSegmentPart(encodeSegmentPart(nodes.slice(0, 10), lines.slice(0, 10)));
    const builder = createSegmentBuilder();
    expect(builder.addPart(part, ids.slice(1, 11), lengths(lines.slice(1, 11)), offsets[1]!)).toBe(false);
    expect(builder.addPart(part, ids.slice(0, 9), lengths(lines.slice(0, 9)), offsets[0]!)).toBe(false);
    const restringified = lines.slice(0, 10).map((line, row) => (row === 4 ? Buffer.from(JSON.stringify(nodes[4], null, 1), "utf8") : line));
    expect(builder.addPart(part, ids.slice(0, 10), lengths(restringified), offsets[0]!)).toBe(false);
    expect(builder.rows).toBe(0);
  });
});
