import type { VaultNode } from "../ingest/vault-nodes";
import { decodeSections, encodeSections } from "./binary-sections";
import { createLexicalBuilder, mergeLexicalFiles } from "./lexical-index";
import { createMemoryTableBuilder, loadMemoryTable, mergeMemoryTableFiles } from "./memory-table";
import { searchableLines } from "./searchable-text";

// A module of its own, apart from lib/search/segments.ts: the embed workers build parts, and their
// bundle must not load what segments need for graphs (USearch, worker threads).

/** nodes.json's lines are joined by `,\n` (lib/ingest/vault-files.ts `nodesJsonLines`), a chunk file's too. */
const LINE_SEPARATOR_BYTES = 2;
export const PART_MAGIC = "CZSEGP\u0001\n";

/**
 * A segment's index files for a run of consecutive rows, made where the rows are at hand (an embed
 * worker, for its chunk) so the merge joins them instead of reading every memory's text again. Offsets
 * are counted from the run's first line, its lines joined by `,\n` as in nodes.json; the merge adds
 * where that first line lands ({@link createSegmentBuilder} `addPart`).
 */
export interface SegmentPart {
  rows: number;
  lexical: Uint8Array;
  memories: Uint8Array;
  /** The sections the maker added of its own ({@link encodeSegmentPart} `extra`), as views of the file. */
  extra: Record<string, Uint8Array>;
}

/**
 * The {@link SegmentPart} of `nodes`, `lines[i]` being node i's line (`JSON.stringify` as UTF-8), as one
 * file, carrying `extra` sections of the caller's (what else the part's reader wants of these rows).
 * `lowerCased[i]`, when given, is node i's {@link searchableLines} lower-cased, which the caller has already.
 */
export function encodeSegmentPart(nodes: readonly VaultNode[], lines: readonly Uint8Array[], extra: Record<string, ArrayBufferView> = {}, lowerCased?: readonly (readonly string[])[]): Buffer {
  if (lines.length !== nodes.length) throw new Error(`a segment part of ${nodes.length} nodes came with ${lines.length} lines`);
  if (lowerCased && lowerCased.length !== nodes.length) throw new Error(`a segment part of ${nodes.length} nodes came with ${lowerCased.length} texts`);
  const writer = createSegmentPartWriter();
  nodes.forEach((node, row) => writer.add(node, lines[row]!.length, lowerCased?.[row]));
  return writer.encode(extra);
}

/**
 * {@link encodeSegmentPart} a row at a time, for a caller that lets go of each node's texts once it is
 * added (an embed worker, a group of rows at a time): rows in order, each with its line's length in
 * bytes, then the file.
 */
export function createSegmentPartWriter() {
  const builder = createSegmentBuilder();
  let offset = 0;
  return {
    add(node: VaultNode, lineBytes: number, lowerCased?: readonly string[]): void {
      builder.add(node, { offset, length: lineBytes }, lowerCased);
      offset += lineBytes + LINE_SEPARATOR_BYTES;
    },
    encode(extra: Record<string, ArrayBufferView> = {}): Buffer {
      const rows = builder.rows;
      const { lexical, memories } = builder.encode();
      return encodeSections(PART_MAGIC, { format: "segment-part", rows }, { ...extra, lexical, memories });
    },
  };
}

/** Reads a file written by {@link encodeSegmentPart}; the part's files are views of `bytes`. */
export function decodeSegmentPart(bytes: Uint8Array): SegmentPart {
  const { header, sections } = decodeSections<{ format: string; rows: number }>(PART_MAGIC, bytes);
  if (header.format !== "segment-part") throw new Error(`unknown segment part format ${String(header.format)}`);
  const { lexical, memories, ...extra } = sections;
  if (!lexical || !memories) throw new Error("a segment part without its index files");
  return { rows: header.rows, lexical, memories, extra };
}

/** The byte length of each line a part was made of (its rows' lines, as {@link encodeSegmentPart} had them). */
export function partLineLengths(part: SegmentPart): number[] {
  const made = loadMemoryTable(part.memories);
  return Array.from({ length: part.rows }, (_, row) => made.location(row).length);
}

/**
 * Collects a segment's rows in order (row 0 first), each with where its line sits in nodes.json: row by
 * row (`add`), or a run of rows at once from their {@link SegmentPart} (`addPart`). The files are the
 * same either way: joining index files gives exactly what one builder over all their rows writes.
 */
export function createSegmentBuilder() {
  let lexical = createLexicalBuilder();
  let table = createMemoryTableBuilder();
  // Rows added one by one since the last part, numbered from 0 in `lexical`.
  let runRows = 0;
  let rows = 0;
  const parts: { lexical: Uint8Array; memories: Uint8Array; shift: number }[] = [];
  const closeRun = () => {
    if (runRows === 0) return;
    parts.push({ lexical: lexical.encode(), memories: table.encode(), shift: 0 });
    lexical = createLexicalBuilder();
    table = createMemoryTableBuilder();
    runRows = 0;
  };
  return {
    /** `lowerCased`: the node's {@link searchableLines} lower-cased, when the caller has them. */
    add(node: VaultNode, location: { offset: number; length: number }, lowerCased?: readonly string[]): void {
      lexical.addLowerCased(runRows, lowerCased ?? searchableLines(node).map((line) => line.toLowerCase()));
      table.add(node, location);
      runRows++;
      rows++;
    },
    /**
     * Adds the rows of `ids` from their part when it was made of exactly these rows and lines (same ids,
     * same line lengths in bytes), the first line at `firstOffset` in nodes.json; false (nothing added) otherwise.
     */
    addPart(part: SegmentPart, ids: readonly string[], lineLengths: readonly number[], firstOffset: number): boolean {
      if (part.rows !== ids.length || lineLengths.length !== ids.length) return false;
      const made = loadMemoryTable(part.memories);
      for (let row = 0; row < ids.length; row++) {
        if (made.id(row) !== ids[row] || made.location(row).length !== lineLengths[row]) return false;
      }
      closeRun();
      parts.push({ lexical: part.lexical, memories: part.memories, shift: firstOffset });
      rows += ids.length;
      return true;
    },
    get rows() {
      return rows;
    },
    encode(): { lexical: Buffer; memories: Buffer } {
      if (parts.length === 0) return { lexical: lexical.encode(), memories: table.encode() };
      closeRun();
      return {
        lexical: mergeLexicalFiles(parts.map((part) => part.lexical)),
        memories: mergeMemoryTableFiles(
          parts.map((part) => part.memories),
          parts.map((part) => part.shift),
        ),
      };
    },
  };
}
