import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readExport, type ExportRecord } from "../../lib/exports";
import { fileByteSource } from "../../lib/exports/byte-source";
import { chunkFile, chunkLine, chunkRows } from "../../lib/ingest/vault-files";
import { contentHash, createByteSlab, encodedNodeLine, hashRecord, toVaultNode } from "../../lib/ingest/vault-nodes";

const UPLOAD = "0b6f6c1e-6a8e-4c4e-9d55-1f3f8d2b7a10";
const EXPORTS = path.join(import.meta.dirname, "../fixtures/exports");

async function fixtureRecords(): Promise<ExportRecord[]> {
  const records: ExportRecord[] = [];
  for (const source of await readdir(EXPORTS)) {
    for (const file of await readdir(path.join(EXPORTS, source), { withFileTypes: true })) {
      if (!file.isFile() || !file.name.endsWith(".json")) continue;
      try {
        for await (const record of readExport(await fileByteSource(path.join(EXPORTS, source, file.name)))) records.push(record);
      } catch {
        // A file that is one part of an export (a Claude users.json alone) is not an export of its own.
      }
    }
  }
  return records;
}

function exchange(fields: Partial<Extract<ExportRecord, { kind: "exchange" }>>): ExportRecord {
  return {
    kind: "exchange",
    id: "0".repeat(32),
    source: "openai",
    conversation_id: "c-1",
    conversation_title: "A title",
    sequence_index: 0,
    created_at: "2025-01-02T03:04:05.000Z",
    human: "a question",
    assistant: "an answer",
    ...fields,
  } as ExportRecord;
}

/** The line and hash the split made before the texts were encoded once: the definitions. */
function expectSameAsDefinitions(record: ExportRecord): void {
  const hashed = hashRecord(record);
  const hash = contentHash(record);
  expect(hashed.hash.equals(hash)).toBe(true);
  expect(hashed.hex).toBe(hash.toString("hex"));
  expect(Buffer.concat(encodedNodeLine(hashed, UPLOAD)).toString("utf8")).toBe(chunkLine(toVaultNode(record, hash, UPLOAD)).toString("utf8"));
}

describe("a record's hash and chunk line from one encoding of its texts", () => {
  it("are the dedupe hash and the node's JSON, byte for byte, for every record of every fixture export", async () => {
    const records = await fixtureRecords();
    expect(records.filter((record) => record.kind === "exchange").length).toBeGreaterThan(20);
    expect(records.some((record) => record.kind === "profile")).toBe(true);
    for (const record of records) expectSameAsDefinitions(record);
  });

  it("hold for texts JSON escapes, and for texts that spell the stand-ins or their fields", () => {
    const awkward = [
      "",
      '"quoted" \\ back\\slash \n\t\r \u0008 \u000c',
      "\u0000human\u0000",
      "\u0000assistant\u0000",
      '"human":"\\u0000human\\u0000"',
      '","human":"\u0000human\u0000","assistant":"\u0000assistant\u0000"}',
      "ünïcödé 漢字 😀 \u2028 \u2029",
      "lone \ud800 high and \udc00 low surrogates",
    ];
    for (const text of awkward) {
      expectSameAsDefinitions(exchange({ human: text }));
      expectSameAsDefinitions(exchange({ assistant: text }));
      expectSameAsDefinitions(exchange({ conversation_title: text, conversation_id: text }));
      expectSameAsDefinitions(exchange({ model: "gpt-4o", attachments: [{ name: text, text }] }));
    }
  });

  it("keep the record's own field order, whatever it is", () => {
    const { human, assistant, ...rest } = exchange({ human: "asked", assistant: "answered" }) as Extract<ExportRecord, { kind: "exchange" }>;
    expectSameAsDefinitions({ assistant, ...rest, human } as ExportRecord);
  });

  it("are the same from one shared slab, whose writes outgrow its blocks and interleave", async () => {
    const records = await fixtureRecords();
    const texts = ["", "ünïcödé 漢字 😀", "lone \ud800 surrogate", "x".repeat(5000)];
    records.push(...texts.flatMap((text) => [exchange({ human: text }), exchange({ assistant: text, conversation_id: text })]));
    // Blocks far smaller than most texts: nearly every write moves to a block of its own size or carries the hash's framing along.
    const slab = createByteSlab(64);
    const hashed = records.map((record) => hashRecord(record, slab));
    // Lines written after every hash, as the split does (a batch's lines once its claims are back).
    const lines = hashed.map((entry) => Buffer.concat(encodedNodeLine(entry, UPLOAD, slab)).toString("utf8"));
    records.forEach((record, at) => {
      const hash = contentHash(record);
      expect(hashed[at]!.hash.equals(hash)).toBe(true);
      expect(lines[at]).toBe(chunkLine(toVaultNode(record, hash, UPLOAD)).toString("utf8"));
    });
  });

  it("keep an exchange's texts only as their bytes, so the records the split holds in flight carry no second copy", () => {
    const record = exchange({ human: "a long question ".repeat(50), assistant: "a longer answer ".repeat(80) });
    const hashed = hashRecord(record);
    expect(hashed.record).toMatchObject({ kind: "exchange", human: "", assistant: "", id: record.id, conversation_title: "A title" });
    // The record handed in is left as it was, and the line still carries both texts.
    expect(record).toMatchObject({ human: "a long question ".repeat(50) });
    expect(Buffer.concat(encodedNodeLine(hashed, UPLOAD)).toString("utf8")).toBe(chunkLine(toVaultNode(record, hashed.hash, UPLOAD)).toString("utf8"));
  });

  it("make chunk files that read back as the nodes", () => {
    const records = [exchange({ human: "one\n,]" }), exchange({ id: "1".repeat(32), human: "two", assistant: "😀" })];
    const lines = records.map((record) => encodedNodeLine(hashRecord(record), UPLOAD));

    const rows = chunkRows(chunkFile(lines));

    expect(rows.nodes).toEqual(records.map((record) => toVaultNode(record, contentHash(record), UPLOAD)));
    expect(rows.lines!.map((line) => line.toString("utf8"))).toEqual(lines.map((pieces) => Buffer.concat(pieces).toString("utf8")));
  });
});
