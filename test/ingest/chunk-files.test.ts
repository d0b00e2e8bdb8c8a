import { describe, expect, it } from "vitest";
import { chunkFile, chunkLine, chunkLines, chunkRows, decodeRowFacts, encodeRowFacts } from "../../lib/ingest/vault-files";
import { LABEL_CHARS, labelText, type VaultNode } from "../../lib/ingest/vault-nodes";

function node(index: number, human: string): VaultNode {
  return {
    kind: "exchange",
    id: index.toString(16).padStart(32, "0"),
    source: "openai",
    conversation_id: `c${index}`,
    conversation_title: "Lines, commas, ]",
    sequence_index: index,
    created_at: null,
    human,
    assistant: "an answer",
    hash: index.toString(16).padStart(64, "0"),
    upload_id: "upload",
  } as unknown as VaultNode;
}

// Texts that look like the layout's own separators, and characters JSON treats specially.
const nodes = [node(1, "two\nlines,\n]\n"), node(2, "ünïcödé 漢字 😀 \u2028 \u2029 \"quoted\" \\ back"), node(3, "[\n"), node(4, "")];

const chunkBytes = (each: VaultNode[]) => chunkFile(each.map(chunkLine));

describe("chunk files", () => {
  it("give back each node and its JSON text, line by line", () => {
    const bytes = chunkBytes(nodes);

    const rows = chunkRows(bytes);

    expect(rows.nodes).toEqual(nodes);
    expect(rows.lines!.map((line) => line.toString("utf8"))).toEqual(nodes.map((each) => JSON.stringify(each)));
  });

  it("are still one JSON array, as the embed workers and earlier code parse them", () => {
    expect(JSON.parse(chunkBytes(nodes).toString("utf8"))).toEqual(nodes);
  });

  it("are laid out as nodes.json is: the array's brackets on lines of their own, one node per line", () => {
    expect(chunkBytes(nodes).toString("utf8")).toBe(`[\n${nodes.map((each) => JSON.stringify(each)).join(",\n")}\n]\n`);
    expect(chunkBytes([]).toString("utf8")).toBe("[\n\n]\n");
  });

  it("read the single-line array splits wrote before (an upload in flight during a deploy), without lines", () => {
    const rows = chunkRows(Buffer.from(JSON.stringify(nodes), "utf8"));

    expect(rows.nodes).toEqual(nodes);
    expect(rows.lines).toBeUndefined();
  });

  it("refuse a file cut short", () => {
    const text = chunkBytes(nodes).toString("utf8");
    expect(() => chunkRows(Buffer.from(text.slice(0, text.indexOf("\n", 5) + 1), "utf8"))).toThrow(/ends before/);
    expect(() => chunkRows(Buffer.from(text.slice(0, 40), "utf8"))).toThrow();
  });

  it("give their lines unparsed, the same bytes the parsing reader gives, and none for the single-line layout", () => {
    const bytes = chunkBytes(nodes);
    expect(chunkLines(bytes)!.map((line) => line.toString("utf8"))).toEqual(chunkRows(bytes).lines!.map((line) => line.toString("utf8")));
    expect(chunkLines(Buffer.from(JSON.stringify(nodes), "utf8"))).toBeUndefined();
  });
});

describe("row facts", () => {
  const long = node(5, "x".repeat(LABEL_CHARS * 2));

  it("carry each row's hash and the label text the merge would take from the node", () => {
    const each = [...nodes, long];
    const facts = decodeRowFacts(encodeRowFacts(each), each.length)!;
    expect(facts).toEqual(each.map((one) => ({ ...labelText(one), hash: one.hash })));
    expect(facts[4]!.text).toHaveLength(LABEL_CHARS);
  });

  it("cut the label text where a word ends, not in the middle of one", () => {
    const text = labelText(node(6, `a ${"where ".repeat(100)}`)).text;
    expect(text.length).toBeLessThanOrEqual(LABEL_CHARS);
    expect(text.length).toBeGreaterThan(LABEL_CHARS - 6);
    expect(new Set(text.trim().split(/\s+/))).toEqual(new Set(["a", "where"]));
  });

  it("stand for nothing when absent, made for another label length, or not one per row", () => {
    expect(decodeRowFacts(undefined, 4)).toBeUndefined();
    expect(decodeRowFacts(encodeRowFacts(nodes), 5)).toBeUndefined();
    const other = JSON.parse(encodeRowFacts(nodes).toString("utf8")) as { labelChars: number };
    other.labelChars = LABEL_CHARS + 1;
    expect(decodeRowFacts(Buffer.from(JSON.stringify(other), "utf8"), 4)).toBeUndefined();
  });
});
