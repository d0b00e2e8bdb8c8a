import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { createDeflateRaw, crc32 } from "node:zlib";

/**
 * Writes a zip entry by entry without holding any entry in memory (deflate streams, sizes and CRC go in
 * a data descriptor after the data), so the benchmark can build a 200 MB export zip. Not zip64: entries
 * and the archive must stay under 4 GiB, which the benchmark's inputs do.
 */
export class ZipStreamWriter {
  private readonly out;
  private offset = 0;
  private readonly central: Buffer[] = [];
  private entries = 0;

  constructor(path: string) {
    this.out = createWriteStream(path);
  }

  async addEntry(name: string, content: AsyncIterable<string | Buffer>): Promise<{ uncompressed: number; compressed: number }> {
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0808, 6); // data descriptor follows; UTF-8 name
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(0x00210000, 10);
    local.writeUInt16LE(nameBytes.length, 26);
    const headerOffset = this.offset;
    await this.write(Buffer.concat([local, nameBytes]));

    let crc = 0;
    let uncompressed = 0;
    let compressed = 0;
    const deflate = createDeflateRaw({ level: 6 });
    const drained = (async () => {
      for await (const chunk of deflate) {
        compressed += (chunk as Buffer).length;
        await this.write(chunk as Buffer);
      }
    })();
    for await (const piece of content) {
      const bytes = typeof piece === "string" ? Buffer.from(piece) : piece;
      crc = crc32(bytes, crc);
      uncompressed += bytes.length;
      if (!deflate.write(bytes)) await once(deflate, "drain");
    }
    deflate.end();
    await drained;
    if (uncompressed >= 2 ** 32 || this.offset >= 2 ** 32) throw new Error("ZipStreamWriter does not write zip64");

    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc >>> 0, 4);
    descriptor.writeUInt32LE(compressed, 8);
    descriptor.writeUInt32LE(uncompressed, 12);
    await this.write(descriptor);

    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0808, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(0x00210000, 12);
    entry.writeUInt32LE(crc >>> 0, 16);
    entry.writeUInt32LE(compressed, 20);
    entry.writeUInt32LE(uncompressed, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(headerOffset, 42);
    this.central.push(entry, nameBytes);
    this.entries++;
    return { uncompressed, compressed };
  }

  async close(): Promise<void> {
    const directory = Buffer.concat(this.central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries, 8);
    end.writeUInt16LE(this.entries, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(this.offset, 16);
    await this.write(Buffer.concat([directory, end]));
    this.out.end();
    await once(this.out, "finish");
  }

  private async write(bytes: Buffer): Promise<void> {
    this.offset += bytes.length;
    if (!this.out.write(bytes)) await once(this.out, "drain");
  }
}
