import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { type ByteSource, bufferByteSource, fileByteSource, readExport } from "../../lib/exports";
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
