import { describe, expect, it } from "vitest";
import { createBufferPool } from "../../lib/buffer-pool";
import { chunkFile, chunkLine, chunkLines, chunkLinesRange, chunkRows, decodeLinesRange, decodeRowFactBytes, decodeRowFacts, encodeLinesRange, encodeRowFactBytes } from "../../lib/ingest/vault-files";
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

  it("are the same bytes written into a buffer used before, whole or in pieces, as joined anew", () => {
    const lines = nodes.map((node, index) => (index % 2 ? chunkLine(node) : [chunkLine(node).subarray(0, 5), chunkLine(node).subarray(5)]));
    const pool = createBufferPool({ keep: 1 });
    const joined = chunkFile(lines);
    const dirty = pool.take(joined.length + 10).fill(0xee);
    pool.give(dirty);
    const written = chunkFile(lines, (bytes) => pool.take(bytes));
    expect(written.buffer).toBe(dirty.buffer);
    expect(written.equals(joined)).toBe(true);
    expect(chunkRows(written).nodes).toEqual(nodes);
  });

  it("are one JSON array: a head element that names the layout, then the nodes", () => {
    expect(JSON.parse(chunkBytes(nodes).toString("utf8"))).toEqual([{ layout: "lines" }, ...nodes]);
  });

  it("keep their rows as nodes.json lays out lines after its first: `,\\n` and a line each, between the head and the end", () => {
    const bytes = chunkBytes(nodes);
    const range = chunkLinesRange(bytes)!;
    expect(bytes.subarray(range.start, range.end).toString("utf8")).toBe(nodes.map((each) => `,\n${JSON.stringify(each)}`).join(""));
    expect(bytes.subarray(range.end).toString("utf8")).toBe("\n]\n");
    const empty = chunkBytes([]);
    expect(chunkLinesRange(empty)).toEqual({ start: range.start, end: range.start });
    expect(chunkRows(empty)).toEqual({ nodes: [], lines: [] });
  });

  it("read the layout splits wrote before the head element (an upload in flight during a deploy), with lines but no range to copy", () => {
    const before = Buffer.from(`[\n${nodes.map((each) => JSON.stringify(each)).join(",\n")}\n]\n`, "utf8");
    const rows = chunkRows(before);
    expect(rows.nodes).toEqual(nodes);
    expect(rows.lines!.map((line) => line.toString("utf8"))).toEqual(nodes.map((each) => JSON.stringify(each)));
    expect(chunkLinesRange(before)).toBeUndefined();
  });

  it("say where their lines are in a section of the segment part, and refuse one that is not a range", () => {
    expect(decodeLinesRange(encodeLinesRange({ start: 19, end: 4000 }))).toEqual({ start: 19, end: 4000 });
    expect(decodeLinesRange(undefined)).toBeUndefined();
    expect(() => decodeLinesRange(Buffer.from('{"start":10,"end":2}'))).toThrow(/not a range/);
  });

  it("read the single-line array splits wrote before (an upload in flight during a deploy), without lines", () => {
    const rows = chunkRows(Buffer.from(JSON.stringify(nodes), "utf8"));

    expect(rows.nodes).toEqual(nodes);
    expect(rows.lines).toBeUndefined();
  });

  it("refuse a file cut short", () => {
    const text = chunkBytes(nodes).toString("utf8");
    // Cut after the first row's line.
    expect(() => chunkRows(Buffer.from(text.slice(0, text.indexOf("\n", text.indexOf("\n") + 1) + 1), "utf8"))).toThrow(/ends before/);
    expect(() => chunkRows(Buffer.from(text.slice(0, 40), "utf8"))).toThrow();
  });

  it("give their lines unparsed, the same bytes the parsing reader gives, and none for the single-line layout", () => {
    const bytes = chunkBytes(nodes);
    expect(chunkLines(bytes)!.map((line) => line.toString("utf8"))).toEqual(chunkRows(bytes).lines!.map((line) => line.toString("utf8")));
    expect(chunkLines(Buffer.from(JSON.stringify(nodes), "utf8"))).toBeUndefined();
  });
});

/** Row facts in the JSON section embed workers wrote before the bytes section (lib/ingest/vault-files.ts, ROW_FACTS_SECTION). */
function encodeRowFacts(nodes: readonly VaultNode[]): Buffer {
  const rows = nodes.map((node) => {
    const { id, title, text } = labelText(node, LABEL_CHARS);
    return [id, node.hash, title, text];
  });
  return Buffer.from(JSON.stringify({ labelChars: LABEL_CHARS, rows }), "utf8");
}

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

  it("carry the label texts as their UTF-8 bytes, in a copy of the section's text bytes", () => {
    const each = [...nodes, long, node(7, "ünïcödé 漢字 😀 ".repeat(40))];
    const section = encodeRowFactBytes(each);
    const facts = decodeRowFactBytes(section, each.length)!;
    expect(facts.map(({ text, ...rest }) => ({ ...rest, text: Buffer.isBuffer(text) ? text.toString("utf8") : "not bytes" }))).toEqual(
      each.map((one) => ({ ...labelText(one), hash: one.hash })),
    );
    section.fill(0);
    expect((facts[5]!.text as Buffer).toString("utf8")).toBe(labelText(each[5]!).text);
  });

  it("as bytes, stand for nothing when absent, made for another label length, or not one per row, and are refused when their lengths do not add up", () => {
    expect(decodeRowFactBytes(undefined, 4)).toBeUndefined();
    expect(decodeRowFactBytes(encodeRowFactBytes(nodes), 5)).toBeUndefined();
    const relabel = (change: (head: { labelChars: number; rows: [string, string, string | null, number][] }) => void, cut = 0) => {
      const section = encodeRowFactBytes(nodes);
      const headEnd = 4 + section.readUInt32LE(0);
      const head = JSON.parse(section.toString("utf8", 4, headEnd));
      change(head);
      const json = Buffer.from(JSON.stringify(head), "utf8");
      const length = Buffer.alloc(4);
      length.writeUInt32LE(json.length, 0);
      return Buffer.concat([length, json, section.subarray(headEnd, section.length - cut)]);
    };
    expect(decodeRowFactBytes(relabel((head) => (head.labelChars = LABEL_CHARS + 1)), 4)).toBeUndefined();
    expect(decodeRowFactBytes(relabel(() => undefined), 4)).toHaveLength(4);
    expect(() => decodeRowFactBytes(relabel(() => undefined, 1), 4)).toThrow(/label text at/);
    expect(() => decodeRowFactBytes(relabel((head) => (head.rows[1]![3] = head.rows[0]![3] - 1)), 4)).toThrow(/label text at/);
    expect(() => decodeRowFactBytes(Buffer.from([200, 0, 0, 0, 123]), 4)).toThrow(/cut short/);
  });

  it("stand for nothing when absent, made for another label length, or not one per row", () => {
    expect(decodeRowFacts(undefined, 4)).toBeUndefined();
    expect(decodeRowFacts(encodeRowFacts(nodes), 5)).toBeUndefined();
    const other = JSON.parse(encodeRowFacts(nodes).toString("utf8")) as { labelChars: number };
    other.labelChars = LABEL_CHARS + 1;
    expect(decodeRowFacts(Buffer.from(JSON.stringify(other), "utf8"), 4)).toBeUndefined();
  });
});
