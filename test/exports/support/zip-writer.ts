import { crc32, deflateRawSync } from "node:zlib";

/**
 * A tiny zip writer for tests (yauzl only reads). It can also write the broken and hostile zips the
 * reader must refuse: entries flagged as encrypted, lying sizes, unsafe names.
 */
export interface ZipEntrySpec {
  name: string;
  data: string | Uint8Array;
  method?: "store" | "deflate";
  /** Sets the traditional-encryption flag (and the 12-byte header yauzl expects); the data stays plain. */
  encrypted?: boolean;
  /** Declares a different uncompressed size than the real one (a lying zip bomb). */
  declaredSize?: number;
  /** Declares a different CRC-32 than the real one (damaged data). */
  declaredCrc?: number;
}

export function buildZip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const spec of entries) {
    const data = typeof spec.data === "string" ? Buffer.from(spec.data) : Buffer.from(spec.data);
    const method = spec.method === "store" ? 0 : 8;
    let payload = method === 8 ? deflateRawSync(data) : data;
    if (spec.encrypted) payload = Buffer.concat([Buffer.alloc(12, 0x55), payload]);
    const name = Buffer.from(spec.name);
    const flags = (spec.encrypted ? 0x1 : 0) | 0x800;
    const crc = spec.declaredCrc ?? crc32(data);
    const size = spec.declaredSize ?? data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(payload.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(payload.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, payload);
    centrals.push(central, name);
    offset += local.length + name.length + payload.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
