/**
 * A small container for the search index files: a magic string, a JSON header, then named byte sections,
 * each starting on an 8-byte boundary so typed arrays can view them in place (no copy on load).
 * Little-endian throughout, like `.npy` (every platform this runs on is little-endian; checked on load).
 */

export interface SectionFile<H> {
  header: H;
  sections: Record<string, Uint8Array>;
}

const ALIGN = 8;

function pad(length: number): number {
  return (ALIGN - (length % ALIGN)) % ALIGN;
}

/** Encodes `header` and the sections (in the order given) behind `magic`. */
export function encodeSections(magic: string, header: unknown, sections: Record<string, ArrayBufferView>): Buffer {
  const names = Object.keys(sections);
  const table = names.map((name) => ({ name, bytes: sections[name]!.byteLength }));
  const head = Buffer.from(JSON.stringify({ header, sections: table }), "utf8");
  const magicBytes = Buffer.from(magic, "latin1");
  const preamble = magicBytes.length + 4 + head.length;
  const parts: Buffer[] = [magicBytes, u32(head.length), head, Buffer.alloc(pad(preamble))];
  for (const name of names) {
    const view = sections[name]!;
    parts.push(Buffer.from(view.buffer, view.byteOffset, view.byteLength), Buffer.alloc(pad(view.byteLength)));
  }
  return Buffer.concat(parts);
}

/** The header and section bytes of a file written by {@link encodeSections}; section views share `bytes`. */
export function decodeSections<H>(magic: string, bytes: Uint8Array): SectionFile<H> {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error("search indexes are little-endian; this platform is not");
  const magicBytes = Buffer.from(magic, "latin1");
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < magicBytes.length + 4 || !buffer.subarray(0, magicBytes.length).equals(magicBytes)) {
    throw new Error(`not a ${magic.trim()} file`);
  }
  const headLength = buffer.readUInt32LE(magicBytes.length);
  const headStart = magicBytes.length + 4;
  const parsed = JSON.parse(buffer.subarray(headStart, headStart + headLength).toString("utf8")) as { header: H; sections: { name: string; bytes: number }[] };
  let at = headStart + headLength;
  at += pad(at);
  const sections: Record<string, Uint8Array> = {};
  for (const { name, bytes: length } of parsed.sections) {
    if (at + length > buffer.length) throw new Error(`${magic.trim()} file is truncated (section ${name})`);
    sections[name] = buffer.subarray(at, at + length);
    at += length + pad(length);
  }
  return { header: parsed.header, sections };
}

/** A typed view of a section; the section must start on a multiple of the element size (sections are 8-aligned). */
export function view<T extends Uint32Array | Float32Array | Float64Array | Uint8Array | Uint16Array>(
  Type: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number },
  section: Uint8Array,
): T {
  if (section.byteOffset % Type.BYTES_PER_ELEMENT !== 0) {
    // Only when the file bytes themselves are misaligned (a Buffer from a pool): copy once.
    const copy = new Uint8Array(section);
    return new Type(copy.buffer, 0, copy.byteLength / Type.BYTES_PER_ELEMENT);
  }
  return new Type(section.buffer, section.byteOffset, section.byteLength / Type.BYTES_PER_ELEMENT);
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value);
  return out;
}
