import readline from "node:readline";
import type { Store } from "../store/client";
import { objectRange, objectStart } from "../store/ranged";
import { objectBytes, objectStream } from "../store/streams";
import { isMissingObject } from "../store/objects";
import { decodeSegmentPart, type SegmentPart } from "../search/segment-builder";
import { float32FromLeBytes } from "../vectors/float32-le";
import { decodeNpyView, NPY_HEAD_BYTES, parseNpyHeader, readNpyRows } from "../vectors/npy";
import { LABEL_CHARS, labelText, type LabelBytes, type LabelText, type VaultNode } from "./vault-nodes";
import { chunkInputKey, chunkSegmentPartKey, chunkVectorsKey } from "./work-files";

/**
 * `corpus/nodes.json` is a JSON array written one node per line (`[`, then `node,` lines, then `]`),
 * so it can be appended to and read as a stream without ever holding it whole.
 */
export async function* nodesJsonLines(nodes: AsyncIterable<string>): AsyncGenerator<string> {
  yield "[\n";
  let first = true;
  for await (const node of nodes) {
    yield first ? node : `,\n${node}`;
    first = false;
  }
  yield "\n]\n";
}

/** The node lines (JSON text, one node each) of a nodes.json written by {@link nodesJsonLines}. */
export async function* readNodeLines(store: Store, key: string): AsyncGenerator<string> {
  const lines = readline.createInterface({ input: await objectStream(store, key), crlfDelay: Infinity });
  for await (const raw of lines) {
    const line = raw.endsWith(",") ? raw.slice(0, -1) : raw;
    if (line === "[" || line === "]" || line === "") continue;
    yield line;
  }
}

/** All nodes of a vault version (small vaults, tests, export). */
export async function readNodes(store: Store, key: string): Promise<VaultNode[]> {
  const nodes: VaultNode[] = [];
  for await (const line of readNodeLines(store, key)) nodes.push(JSON.parse(line) as VaultNode);
  return nodes;
}

/** Row batches of a stored .npy, header parsed from the file (never assumed). */
export async function* readStoredRows(store: Store, key: string): AsyncGenerator<{ rows: Float32Array; count: number; dim: number }> {
  for await (const batch of readNpyRows(await objectStream(store, key), { batchRows: 2048 })) yield batch;
}

/**
 * Rows [first, first + rows) of a stored .npy whose data starts at byte `dataOffset`, in blocks of up to
 * `blockRows` rows, with ranged GETs: what a segment of a version needs, without the rest of the file.
 */
export async function* readVectorRange(store: Store, key: string, range: { dataOffset: number; first: number; rows: number; dim: number }, blockRows = 2048): AsyncGenerator<Float32Array> {
  const rowBytes = range.dim * 4;
  for (let row = range.first; row < range.first + range.rows; row += blockRows) {
    const count = Math.min(blockRows, range.first + range.rows - row);
    yield float32FromLeBytes(await objectRange(store, key, range.dataOffset + row * rowBytes, count * rowBytes));
  }
}

type ChunkLocation = { vaultPrefix: string; uploadId: string; attempt: number };

/**
 * One node's line of a chunk file (see {@link chunkFile}): its JSON text, as UTF-8 bytes. The split
 * makes the same bytes in pieces, from the JSON of the texts it hashed (lib/ingest/vault-nodes.ts,
 * `encodedNodeLine`), each node as it comes rather than a whole chunk's text at once: joining a chunk's
 * lines first builds a string of megabytes that is copied again to be flattened and then encoded.
 */
export function chunkLine(node: VaultNode): Buffer {
  return Buffer.from(JSON.stringify(node), "utf8");
}

/**
 * A chunk file's first element: it says how the rows are laid out, and it is why every row's line comes
 * after a `,\n`, as each line but the first does in nodes.json (see {@link chunkLinesRange}).
 */
const HEAD = Buffer.from('[{"layout":"lines"}');
const BETWEEN = Buffer.from(",\n");
const CLOSE = Buffer.from("\n]\n");

/**
 * A chunk file as the split writes it, from its nodes' lines ({@link chunkLine}, whole or in pieces): a JSON array of a
 * small head element, then one node per line, each line after a `,\n`. From the head on, the rows are
 * bytes exactly as nodes.json lays out lines after its first (see {@link nodesJsonLines}), so the merge
 * has the store copy them into nodes.json without reading them ({@link chunkLinesRange}). In a buffer
 * `take` gives (exactly the file's length) when given, for a caller that uses its buffers again.
 */
export function chunkFile(lines: readonly (Buffer | readonly Buffer[])[], take?: (bytes: number) => Buffer): Buffer {
  const parts: Buffer[] = [HEAD];
  for (const line of lines) {
    parts.push(BETWEEN);
    // A line may come in the pieces it was encoded in (lib/ingest/vault-nodes.ts, encodedNodeLine).
    if (Buffer.isBuffer(line)) parts.push(line);
    else parts.push(...line);
  }
  parts.push(CLOSE);
  if (!take) return Buffer.concat(parts);
  let bytes = 0;
  for (const part of parts) bytes += part.length;
  const file = take(bytes);
  let at = 0;
  for (const part of parts) at += part.copy(file, at);
  return file;
}

/**
 * Where a chunk file written by {@link chunkFile} keeps its rows: bytes [start, end) are `,\n` and a
 * line, for each row. Undefined for the layouts splits wrote before (no head element).
 */
export function chunkLinesRange(bytes: Buffer): { start: number; end: number } | undefined {
  if (!startsWithHead(bytes)) return undefined;
  return { start: HEAD.length, end: bytes.length - CLOSE.length };
}

/** Whether `bytes` begin with {@link HEAD} on a line of its own (so never a single-line array). */
function startsWithHead(bytes: Buffer): boolean {
  if (bytes.length < HEAD.length + CLOSE.length || !bytes.subarray(0, HEAD.length).equals(HEAD)) return false;
  const next = bytes[HEAD.length];
  return next === NEWLINE || (next === COMMA && bytes[HEAD.length + 1] === NEWLINE);
}

/** A chunk's node records, as the split wrote them. */
export async function readChunkNodes(store: Store, location: ChunkLocation, chunkIndex: number): Promise<VaultNode[]> {
  return chunkRows(await readChunkFile(store, location, chunkIndex)).nodes;
}

/** A chunk's nodes, each with its JSON text as UTF-8 bytes when the file holds it line by line. */
export interface ChunkRows {
  nodes: VaultNode[];
  /** Line i is `JSON.stringify(nodes[i])`, as bytes; absent for a chunk written as one line. */
  lines: Buffer[] | undefined;
}

/** A chunk file's bytes, as the split wrote them ({@link chunkRows} and {@link chunkLines} read them). */
export async function readChunkFile(store: Store, location: ChunkLocation, chunkIndex: number): Promise<Buffer> {
  return objectBytes(store, chunkInputKey(location.vaultPrefix, location.uploadId, location.attempt, chunkIndex));
}

const NEWLINE = 0x0a;
const COMMA = 0x2c;

/**
 * Reads a chunk file of any layout: {@link chunkFile}'s or the one before it (`[`, lines joined by `,\n`,
 * `]`, each on a line of its own), line by line (JSON.stringify never writes a raw newline, it escapes
 * them inside strings: https://tc39.es/ecma262/#sec-quotejsonstring), or the single-line array
 * `JSON.stringify(nodes)` that splits wrote before those; uploads in flight during a deploy still have them.
 */
export function chunkRows(bytes: Buffer): ChunkRows {
  const lines = chunkLines(bytes);
  if (!lines) return { nodes: JSON.parse(bytes.toString("utf8")) as VaultNode[], lines: undefined };
  return { nodes: lines.map(parseNodeLine), lines };
}

/** A node from its line (a chunk file's or nodes.json's: `JSON.stringify(node)` as UTF-8). */
export function parseNodeLine(line: Uint8Array): VaultNode {
  return JSON.parse(Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString("utf8")) as VaultNode;
}

/**
 * The lines of a chunk file written by {@link chunkFile} (or the line layout before it), unparsed;
 * undefined for the older single-line layout, whose nodes can only be had by parsing it whole ({@link chunkRows}).
 */
export function chunkLines(bytes: Buffer): Buffer[] | undefined {
  let start: number;
  if (startsWithHead(bytes)) {
    if (bytes.length === HEAD.length + CLOSE.length) return [];
    start = HEAD.length + BETWEEN.length;
  } else if (bytes[0] === 0x5b && bytes[1] === NEWLINE) start = 2;
  else return undefined;
  const lines: Buffer[] = [];
  for (;;) {
    const end = bytes.indexOf(NEWLINE, start);
    if (end < 0) throw new Error("a chunk file ends before its closing line");
    const lineEnd = bytes[end - 1] === COMMA ? end - 1 : end;
    if (lineEnd - start === 1 && bytes[start] === 0x5d) break;
    if (lineEnd > start) lines.push(bytes.subarray(start, lineEnd));
    start = end + 1;
  }
  return lines;
}

/**
 * What the merge needs of a chunk's row besides its line: its hash (is it this upload's to store?), and
 * its id and topic-label text (the clusters). The embed worker, which parses the chunk anyway, writes
 * them into the chunk's segment part ({@link encodeRowFactBytes}), so the merge does not parse every line of
 * the upload again only to learn these (JSON.parse of a 500 MB export's lines: seconds of the merge).
 */
export type RowFacts = (LabelText | LabelBytes) & {
  hash: string;
};

/**
 * The segment part section that carried a chunk's {@link RowFacts} in JSON, `{labelChars, rows: [[id,
 * hash, title, text], …]}`, before {@link ROW_FACT_BYTES_SECTION}: still read, from parts written by
 * embed workers of before.
 */
export const ROW_FACTS_SECTION = "rowFacts";

/** The segment part section that carries a chunk's {@link RowFacts}, their label texts as bytes ({@link encodeRowFactBytes}). */
export const ROW_FACT_BYTES_SECTION = "rowFactBytes";

/**
 * {@link RowFacts} of `nodes` as a section's bytes: a 32-bit little-endian length, that many bytes of
 * JSON `{labelChars, rows: [[id, hash, title, textEnd], …]}`, then each row's label text in UTF-8, one
 * after the other (a row's text ends at its `textEnd` and starts where the previous row's ends). The
 * merge keeps the label texts as these bytes for the clusters document, where only a few are read: in
 * the JSON of {@link ROW_FACTS_SECTION} every one was decoded, to be encoded again.
 */
export function encodeRowFactBytes(nodes: readonly VaultNode[]): Buffer {
  const writer = createRowFactsWriter();
  for (const node of nodes) writer.add(node);
  return writer.encode();
}

/** {@link encodeRowFactBytes} a node at a time (in row order), keeping only its facts, not its texts. */
export function createRowFactsWriter() {
  const texts: Buffer[] = [];
  let textEnd = 0;
  const rows: [string, string, string | null, number][] = [];
  return {
    add(node: VaultNode): void {
      const { id, title, text } = labelText(node, LABEL_CHARS);
      const bytes = Buffer.from(text, "utf8");
      texts.push(bytes);
      textEnd += bytes.length;
      rows.push([id, node.hash, title, textEnd]);
    },
    encode(): Buffer {
      const head = Buffer.from(JSON.stringify({ labelChars: LABEL_CHARS, rows }), "utf8");
      const length = Buffer.alloc(4);
      length.writeUInt32LE(head.length, 0);
      return Buffer.concat([length, head, ...texts]);
    },
  };
}

/**
 * The {@link RowFacts} of a section written by {@link encodeRowFactBytes}, their texts views of one copy
 * of its text bytes (not of the part, which they would keep whole), or undefined when they cannot
 * stand for the rows, as for {@link decodeRowFacts}. A section whose lengths do not add up is refused.
 */
export function decodeRowFactBytes(section: Uint8Array | undefined, rows: number): RowFacts[] | undefined {
  if (!section) return undefined;
  const bytes = Buffer.from(section.buffer, section.byteOffset, section.byteLength);
  const headEnd = 4 + (bytes.length >= 4 ? bytes.readUInt32LE(0) : 0);
  if (bytes.length < 4 || headEnd > bytes.length) throw new Error("a chunk's row facts are cut short");
  const facts = JSON.parse(bytes.toString("utf8", 4, headEnd)) as { labelChars: number; rows: [string, string, string | null, number][] };
  if (facts.labelChars !== LABEL_CHARS || facts.rows.length !== rows) return undefined;
  const texts = Buffer.from(bytes.subarray(headEnd));
  let start = 0;
  return facts.rows.map(([id, hash, title, end]) => {
    if (!Number.isSafeInteger(end) || end < start || end > texts.length) throw new Error(`a chunk's row facts put a label text at [${start}, ${end}) of ${texts.length} bytes`);
    const text = texts.subarray(start, end);
    start = end;
    return { id, hash, title, text };
  });
}

/**
 * The {@link RowFacts} of a {@link ROW_FACTS_SECTION} section, or undefined when they cannot stand
 * for the rows: absent (a part made before they were), made for another label length, or not `rows` of them.
 */
export function decodeRowFacts(section: Uint8Array | undefined, rows: number): RowFacts[] | undefined {
  if (!section) return undefined;
  const facts = JSON.parse(Buffer.from(section.buffer, section.byteOffset, section.byteLength).toString("utf8")) as { labelChars: number; rows: [string, string, string | null, string][] };
  if (facts.labelChars !== LABEL_CHARS || facts.rows.length !== rows) return undefined;
  return facts.rows.map(([id, hash, title, text]) => ({ id, hash, title, text }));
}

/** The segment part section that says where a chunk file keeps its rows ({@link chunkLinesRange}). */
export const LINES_RANGE_SECTION = "linesRange";

/** A chunk file's {@link chunkLinesRange} as a section's bytes: `{start, end}` in JSON. */
export function encodeLinesRange(range: { start: number; end: number }): Buffer {
  return Buffer.from(JSON.stringify({ start: range.start, end: range.end }), "utf8");
}

/** The range a section written by {@link encodeLinesRange} holds, or undefined without one (a part made before they were). */
export function decodeLinesRange(section: Uint8Array | undefined): { start: number; end: number } | undefined {
  if (!section) return undefined;
  const { start, end } = JSON.parse(Buffer.from(section.buffer, section.byteOffset, section.byteLength).toString("utf8")) as { start: number; end: number };
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) throw new Error(`a chunk's lines range [${start}, ${end}) is not a range`);
  return { start, end };
}

/** Where in the store some bytes already are: bytes [start, end) of `key`. */
export interface StoredRange {
  key: string;
  start: number;
  end: number;
}

/**
 * A chunk's vectors, checked to hold `rows` rows of `dim` (the chunk's record count and the vault's
 * dimension), and where their bytes are in the chunk's .npy (its data section, after the header).
 */
export async function readChunkVectorRows(store: Store, location: ChunkLocation, chunkIndex: number, expected: { rows: number; dim: number }): Promise<{ vectors: Float32Array; stored: StoredRange }> {
  const key = chunkVectorsKey(location.vaultPrefix, location.uploadId, location.attempt, chunkIndex);
  const bytes = await objectBytes(store, key);
  const vectors = decodeNpyView(bytes);
  checkChunkShape(chunkIndex, vectors, expected);
  return { vectors: vectors.data, stored: { key, start: bytes.length - vectors.data.byteLength, end: bytes.length } };
}

/**
 * Where a chunk's vectors are in its .npy, as {@link readChunkVectorRows} says, from the file's header
 * and size alone: for rows the store copies into the version and a clustering thread reads itself.
 */
export async function readChunkVectorRange(store: Store, location: ChunkLocation, chunkIndex: number, expected: { rows: number; dim: number }): Promise<{ vectors?: undefined; stored: StoredRange }> {
  const key = chunkVectorsKey(location.vaultPrefix, location.uploadId, location.attempt, chunkIndex);
  const { bytes, size } = await objectStart(store, key, NPY_HEAD_BYTES);
  const header = parseNpyHeader(bytes);
  checkChunkShape(chunkIndex, header, expected);
  if (size !== header.headerLength + header.dataLength) throw new Error(`chunk ${chunkIndex}: its vectors file is ${size} bytes, its header says ${header.headerLength + header.dataLength}`);
  return { stored: { key, start: header.headerLength, end: size } };
}

/** A chunk's vectors must be its record count of rows, of the vault's dimension. */
function checkChunkShape(chunkIndex: number, found: { rows: number; dim: number }, expected: { rows: number; dim: number }): void {
  if (found.rows !== expected.rows || found.dim !== expected.dim) {
    throw new Error(`chunk ${chunkIndex}: expected ${expected.rows} × ${expected.dim} vectors, found ${found.rows} × ${found.dim}`);
  }
}

/** A chunk's vectors ({@link readChunkVectorRows}). */
export async function readChunkVectors(store: Store, location: ChunkLocation, chunkIndex: number, expected: { rows: number; dim: number }): Promise<Float32Array> {
  return (await readChunkVectorRows(store, location, chunkIndex, expected)).vectors;
}

/**
 * A chunk's search segment part, or undefined when its embed worker wrote none (a worker from before
 * parts were made): the merge then indexes the chunk's rows itself.
 */
export async function readChunkSegmentPart(store: Store, location: ChunkLocation, chunkIndex: number): Promise<SegmentPart | undefined> {
  try {
    return decodeSegmentPart(await objectBytes(store, chunkSegmentPartKey(location.vaultPrefix, location.uploadId, location.attempt, chunkIndex)));
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
}
