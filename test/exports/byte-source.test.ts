import { createHash } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { type ByteSource, bufferByteSource, digestingByteSource, fileByteSource, readExport } from "../../lib/exports";
import { chatgptExport, conversations } from "../support/exports";
import { buildZip } from "./support/zip-writer";
import { fixtureText } from "./support/read-all";

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString();
}

/** Records every range requested, as the S3 implementation would see them. */
function recordingSource(inner: ByteSource): { source: ByteSource; ranges: Array<[number, number]> } {
  const ranges: Array<[number, number]> = [];
  return {
    ranges,
    source: {
      name: inner.name,
      size: inner.size,
      createReadStream(range) {
        ranges.push([range?.start ?? 0, range?.end ?? inner.size]);
        return inner.createReadStream(range);
      },
    },
  };
}

describe("byte sources", () => {
  it("read half-open ranges from a file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "byte-source-"));
    await writeFile(join(dir, "x.json"), "0123456789");
    const source = await fileByteSource(join(dir, "x.json"));

    expect([source.name, source.size]).toEqual(["x.json", 10]);
    expect(await text(source.createReadStream({ start: 2, end: 5 }))).toBe("234");
    expect(await text(source.createReadStream({ start: 7 }))).toBe("789");
    expect(await text(source.createReadStream({ start: 4, end: 4 }))).toBe("");
  });

  it("read half-open ranges from memory in chunks of the requested size", async () => {
    const source = bufferByteSource("x.json", Buffer.from("0123456789"), { chunkBytes: 3 });
    const chunks: string[] = [];

    for await (const chunk of source.createReadStream({ start: 1, end: 9 })) chunks.push(String(chunk));

    expect(chunks).toEqual(["123", "456", "78"]);
  });
});

describe("reading a zip through ranges", () => {
  it("reads the central directory and the conversations entry, never the photos beside them", async () => {
    const photos = Array.from({ length: 4 }, (_, i) => ({ name: `dalle-generations/${i}.webp`, data: Buffer.alloc(1024 * 1024, i), method: "store" as const }));
    const zip = buildZip([...photos, { name: "conversations.json", data: fixtureText("chatgpt/branches.json") }]);
    const { source, ranges } = recordingSource(bufferByteSource("export.zip", zip));
    const reader = readExport(source);

    for await (const _record of reader) {
      // drain
    }

    const requested = ranges.reduce((sum, [start, end]) => sum + (end - start), 0);
    expect(reader.summary.exchanges).toBe(2);
    expect(requested).toBeLessThan(zip.length / 2);
    expect(reader.summary.bytes_read).toBeLessThan(zip.length / 2);
  });

  it("reads each byte of a zip's conversations once, not again after the block its header came from", async () => {
    // Stored, so the entry is as large as its text: its data is read in one large range.
    const json = chatgptExport(conversations("once", 400, 3));
    const zip = buildZip([{ name: "conversations.json", data: json, method: "store" }]);
    const { source, ranges } = recordingSource(bufferByteSource("export.zip", zip));

    const reader = readExport(source);
    for await (const _record of reader) {
      // drain
    }

    expect(reader.summary.exchanges).toBe(1200);
    const requested = ranges.reduce((sum, [start, end]) => sum + (end - start), 0);
    // The only overlap left: the end-of-central-directory search reads the last 64 KiB + 22 bytes.
    expect(requested).toBeLessThanOrEqual(zip.length + 8 + 65_557);
  });

  it("passes a failure of the byte source through unchanged, not as a corrupt zip", async () => {
    const zip = buildZip([{ name: "conversations.json", data: fixtureText("chatgpt/branches.json") }]);
    const failure = new Error("S3 GetObject timed out");
    const source: ByteSource = {
      name: "export.zip",
      size: zip.length,
      createReadStream(range) {
        // The first bytes (to recognise a zip) arrive; every later range fails mid-stream.
        if ((range?.end ?? zip.length) <= 8) return bufferByteSource("export.zip", zip).createReadStream(range);
        return new Readable({
          read() {
            this.destroy(failure);
          },
        });
      },
    };

    await expect(
      (async () => {
        for await (const _record of readExport(source)) {
          // drain
        }
      })(),
    ).rejects.toBe(failure);
  });
});

describe("readExport", () => {
  it("reports the detected format once reading has begun", async () => {
    const reader = readExport(bufferByteSource("anything.bin", Buffer.from(fixtureText("claude/conversations.json"))));

    expect(reader.format).toBeNull();
    for await (const _record of reader) break;

    expect(reader.format).toEqual({ source: "anthropic", container: "json" });
  });
});

describe("an export's fingerprint, taken from the reads of its own parse", () => {
  async function fingerprint(name: string, bytes: Buffer): Promise<{ digest: string | null; read: number }> {
    const { source, ranges } = recordingSource(bufferByteSource(name, bytes, { chunkBytes: 4096 }));
    const fingerprinted = digestingByteSource(source);
    for await (const _record of readExport(fingerprinted.source)) {
      // drain
    }
    return { digest: fingerprinted.digest(), read: ranges.reduce((sum, [start, end]) => sum + (end - start), 0) };
  }

  it("is a JSON file's own SHA-256, from one read of it", async () => {
    const json = chatgptExport(conversations("fp", 20));

    const { digest, read } = await fingerprint("conversations.json", json);

    expect(digest).toBe(createHash("sha256").update(json).digest("hex"));
    expect(read).toBe(json.length + 8);
  });

  it("tells zips apart by what their import reads, without reading the rest", async () => {
    const photo = (fill: number) => ({ name: "dalle-generations/0.webp", data: Buffer.alloc(2 * 1024 * 1024, fill), method: "store" as const });
    const entry = (prefix: string) => ({ name: "conversations.json", data: chatgptExport(conversations(prefix, 20)) });
    const zip = buildZip([photo(1), entry("a")]);

    const first = await fingerprint("a.zip", zip);
    const again = await fingerprint("renamed.zip", Buffer.from(zip));
    const otherText = await fingerprint("a.zip", buildZip([photo(1), entry("b")]));

    expect(first.digest).toMatch(/^ranges:[0-9a-f]{64}$/);
    expect(again.digest).toBe(first.digest);
    expect(otherText.digest).not.toBe(first.digest);
    expect(first.read).toBeLessThan(zip.length / 4);
  });

  it("is unknown when a read stopped early", async () => {
    // Larger than what the stream buffers ahead of its reader.
    const bytes = Buffer.alloc(8 * 1024 * 1024, 0x20);
    const fingerprinted = digestingByteSource(bufferByteSource("conversations.json", bytes, { chunkBytes: 1024 }));
    for await (const _chunk of fingerprinted.source.createReadStream()) break;

    expect(fingerprinted.digest()).toBeNull();
  });
});
