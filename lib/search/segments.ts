import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readVectorRange } from "../ingest/vault-files";
import type { Store } from "../store/client";
import { deletePrefix, objectBytes, putStream } from "../store/streams";
import { mergeLexicalFiles } from "./lexical-index";
import { mergeMemoryTableFiles } from "./memory-table";
import { buildGraphFile } from "./graph-worker";
import { segmentKeys, segmentsFolder } from "./segment-keys";

/**
 * A version's search indexes are split into **segments**: consecutive rows of the version, each with its
 * own BM25 file (`lexical.bin`), memory table (`memories.bin`) and, once it is large enough, its own HNSW
 * graph (`vectors.usearch`). A merge only appends rows, and rows keep their numbers and their bytes in
 * nodes.json and nodes.npy from version to version, so a segment stays valid for every later version:
 * the merge writes a segment for the new rows and lists it after the previous version's segments. Index
 * work is O(new), not O(vault).
 *
 * - Small segments have no graph: their vectors are scanned exactly (a few milliseconds for thousands
 *   of rows), as Qdrant does for segments under its `indexing_threshold`
 *   (https://qdrant.tech/documentation/concepts/optimizer/). Once the small segments at the end of a
 *   version hold `sealRows` rows, or there are more than `maxFlatSegments` of them, they are compacted
 *   into one, from their index files alone (no text is read again).
 * - A segment of at least `sealRows` rows gets a graph. Building one costs far more than the rest of a
 *   merge (seconds per thousand rows), so the merge lists it as `pending` and builds it right after the
 *   version switch (`buildPendingGraphs`): the upload is complete and searchable (exactly, by a scan)
 *   at once, and the graph takes over when ready.
 * - A segment holds at most `maxRows` rows, which bounds the memory of any one graph build.
 *
 * Segments live in `indexes/segments/{name}/`, shared by the versions that list them; they are deleted
 * once no kept version lists them ({@link deleteUnlistedSegments}).
 */
export const SEGMENT_POLICY = { sealRows: 16_384, maxRows: 131_072, maxFlatSegments: 8 };

/** A graph: none (exact scan), pending (to be built after the switch), ready. */
export type GraphState = "none" | "pending" | "ready";

export interface SegmentEntry {
  name: string;
  /** The segment's first row in the version, and how many rows it holds. */
  first: number;
  rows: number;
  graph: GraphState;
  /** Bytes of its files. */
  files: { lexical: number; memories: number; graph?: number };
}

export { segmentKeys, segmentsFolder } from "./segment-keys";
export { createSegmentBuilder, decodeSegmentPart, encodeSegmentPart, type SegmentPart } from "./segment-builder";

/** Unique per (version that wrote it, first row): a retry of the same merge rewrites the same names. */
export function segmentName(version: number, first: number, kind: "rows" | "merged" = "rows"): string {
  return `${kind === "rows" ? "s" : "m"}${String(version).padStart(6, "0")}-${String(first).padStart(10, "0")}`;
}

export function graphStateFor(rows: number): GraphState {
  return rows >= SEGMENT_POLICY.sealRows ? "pending" : "none";
}

/** Writes a segment's index files; its graph, if it gets one, comes later. */
export async function writeSegment(store: Store, prefix: string, segment: Omit<SegmentEntry, "files">, files: { lexical: Buffer; memories: Buffer }): Promise<SegmentEntry> {
  const keys = segmentKeys(prefix, segment.name);
  await Promise.all([
    putStream(store, keys.lexical, slices(files.lexical), "application/octet-stream"),
    putStream(store, keys.memories, slices(files.memories), "application/octet-stream"),
  ]);
  return { ...segment, files: { lexical: files.lexical.length, memories: files.memories.length } };
}

/**
 * The segments of the next version: the previous version's, then the new ones, with the small
 * segments at the end compacted into one when there are too many of them or they are large enough for
 * a graph. Compaction reads and writes only the index files of the segments it joins.
 */
export async function appendSegments(store: Store, prefix: string, version: number, previous: readonly SegmentEntry[], added: readonly SegmentEntry[]): Promise<SegmentEntry[]> {
  const segments = [...previous, ...added];
  let tail = segments.length;
  while (tail > 0 && segments[tail - 1]!.graph === "none") tail--;
  const flat = segments.slice(tail);
  const flatRows = flat.reduce((sum, segment) => sum + segment.rows, 0);
  if (flat.length < 2 || (flat.length <= SEGMENT_POLICY.maxFlatSegments && flatRows < SEGMENT_POLICY.sealRows)) return segments;
  const files = await Promise.all(
    flat.map(async (segment) => {
      const keys = segmentKeys(prefix, segment.name);
      const [lexical, memories] = await Promise.all([objectBytes(store, keys.lexical), objectBytes(store, keys.memories)]);
      return { lexical, memories };
    }),
  );
  const merged = await writeSegment(
    store,
    prefix,
    { name: segmentName(version, flat[0]!.first, "merged"), first: flat[0]!.first, rows: flatRows, graph: graphStateFor(flatRows) },
    { lexical: mergeLexicalFiles(files.map((file) => file.lexical)), memories: mergeMemoryTableFiles(files.map((file) => file.memories)) },
  );
  return [...segments.slice(0, tail), merged];
}

/**
 * Builds the graph of a segment from its rows of the version's nodes.npy (ranged reads of just those
 * rows) and stores it beside the segment's other files, building it on a worker thread so the process
 * keeps serving meanwhile. Memory: the graph of at most `maxRows` rows.
 */
export async function buildSegmentGraph(
  store: Store,
  prefix: string,
  vectors: { key: string; dataOffset: number; dim: number },
  segment: SegmentEntry,
): Promise<SegmentEntry> {
  const folder = await mkdtemp(path.join(os.tmpdir(), "cogzy-graph-"));
  try {
    const file = path.join(folder, "vectors.usearch");
    const blocks = readVectorRange(store, vectors.key, { dataOffset: vectors.dataOffset, first: segment.first, rows: segment.rows, dim: vectors.dim });
    const rows = await buildGraphFile(vectors.dim, blocks, file);
    if (rows !== segment.rows) throw new Error(`segment ${segment.name}: read ${rows} vectors for ${segment.rows} rows`);
    const bytes = await putStream(store, segmentKeys(prefix, segment.name).graph, createReadStream(file, { highWaterMark: 1 << 20 }), "application/octet-stream");
    return { ...segment, graph: "ready", files: { ...segment.files, graph: bytes } };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Deletes the segment folders of `prefix` that none of `listed` names (after a version switch). */
export async function deleteUnlistedSegments(store: Store, prefix: string, listed: ReadonlySet<string>): Promise<number> {
  const folder = segmentsFolder(prefix);
  return deletePrefix(store, folder, { keep: (key) => listed.has(key.slice(folder.length).split("/")[0]!) });
}

export async function* slices(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += 1 << 20) yield bytes.subarray(at, at + (1 << 20));
  if (bytes.length === 0) yield bytes;
}
