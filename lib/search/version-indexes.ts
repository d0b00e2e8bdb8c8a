import type { EmbedderIdentity } from "../embeddings";
import { readNodeLines } from "../ingest/vault-files";
import type { VaultNode } from "../ingest/vault-nodes";
import type { Store } from "../store/client";
import { getJson, putJson } from "../store/objects";
import { objectRange } from "../store/ranged";
import { npyPreambleLength } from "../vectors/npy";
import type { versionKeys } from "../vaults/versions";
import { buildSegmentGraph, createSegmentBuilder, graphStateFor, SEGMENT_POLICY, segmentName, writeSegment, type SegmentEntry } from "./segments";
import { VECTOR_INDEX_SETTINGS } from "./vector-index";

export { searchableText } from "./searchable-text";

export type VersionKeys = ReturnType<typeof versionKeys>;

/** `indexes/v{N}/search.json`: the segments a version is searched through, written last. */
export interface SearchManifest {
  format: 2;
  rows: number;
  embedder: EmbedderIdentity;
  /** Where row 0 starts in the version's nodes.npy (segments without a graph read their vectors there). */
  vectors_offset: number;
  /** In row order; together they hold rows 0 … rows − 1. */
  segments: SegmentEntry[];
  /** Bytes of all segments' files, by kind. */
  files: { vectors: number; lexical: number; memories: number };
  /** How the graphs are built; a version built with other settings than today's is rebuilt on first use. */
  vector_index: { library: "usearch"; metric: string; quantization: string; connectivity: number };
}

/** Whether a stored manifest describes indexes this code can read as they are. */
export function isCurrentManifest(manifest: SearchManifest | { format?: unknown } | undefined): manifest is SearchManifest {
  const current = manifest as SearchManifest | undefined;
  return (
    current?.format === 2 &&
    Array.isArray(current.segments) &&
    current.vector_index?.metric === VECTOR_INDEX_SETTINGS.metric &&
    current.vector_index.quantization === VECTOR_INDEX_SETTINGS.quantization &&
    current.vector_index.connectivity === VECTOR_INDEX_SETTINGS.connectivity
  );
}

/** The version's manifest, if it has one this code reads. */
export async function readSearchManifest(store: Store, keys: VersionKeys): Promise<SearchManifest | undefined> {
  const manifest = await getJson<SearchManifest>(store, keys.searchManifest);
  return isCurrentManifest(manifest) ? manifest : undefined;
}

/** The manifest of `segments` (written by the caller once every file it lists exists). */
export function searchManifest(segments: SegmentEntry[], embedder: EmbedderIdentity, vectorsOffset: number): SearchManifest {
  const rows = segments.reduce((sum, segment) => sum + segment.rows, 0);
  return {
    format: 2,
    rows,
    embedder,
    vectors_offset: vectorsOffset,
    segments,
    files: {
      vectors: segments.reduce((sum, segment) => sum + (segment.files.graph ?? 0), 0),
      lexical: segments.reduce((sum, segment) => sum + segment.files.lexical, 0),
      memories: segments.reduce((sum, segment) => sum + segment.files.memories, 0),
    },
    vector_index: {
      library: "usearch",
      metric: VECTOR_INDEX_SETTINGS.metric,
      quantization: VECTOR_INDEX_SETTINGS.quantization,
      connectivity: VECTOR_INDEX_SETTINGS.connectivity,
    },
  };
}

export async function writeSearchManifest(store: Store, keys: VersionKeys, manifest: SearchManifest): Promise<void> {
  await putJson(store, keys.searchManifest, manifest);
}

/**
 * Builds a version's search indexes from its own nodes.json and nodes.npy (as stored, so the indexes
 * describe exactly the files readers will see): segments of at most `maxRows` rows, then the graphs of
 * the large ones (`graphs: "now"`), or left pending for {@link buildPendingGraphs} (`"later"`). Used for
 * a version that has no indexes this code reads (merged before they existed, or with other graph
 * settings); a merge appends segments instead (lib/vaults/version-writer.ts). O(version).
 */
export async function writeVersionIndexes(store: Store, keys: VersionKeys, embedder: EmbedderIdentity, options: { graphs?: "now" | "later" } = {}): Promise<SearchManifest> {
  const segments: SegmentEntry[] = [];
  let builder = createSegmentBuilder();
  let first = 0;
  const close = async () => {
    if (builder.rows === 0) return;
    const rows = builder.rows;
    segments.push(await writeSegment(store, keys.prefix, { name: segmentName(keys.version, first), first, rows, graph: graphStateFor(rows) }, builder.encode()));
    first += rows;
    builder = createSegmentBuilder();
  };
  // nodes.json is `[\n`, then one node per line joined by `,\n`, then `\n]\n` (see nodesJsonLines):
  // node 0 starts at byte 2 and each next one 2 bytes after the end of the last.
  let offset = 2;
  for await (const line of readNodeLines(store, keys.nodes)) {
    const length = Buffer.byteLength(line, "utf8");
    builder.add(JSON.parse(line) as VaultNode, { offset, length });
    offset += length + 2;
    if (builder.rows === SEGMENT_POLICY.maxRows) await close();
  }
  await close();
  const rows = first;
  const vectorsOffset = rows > 0 ? await npyDataOffset(store, keys.vectors) : 0;
  let manifest = searchManifest(segments, embedder, vectorsOffset);
  if (options.graphs !== "later") manifest = await buildPendingGraphs(store, keys, manifest);
  await writeSearchManifest(store, keys, manifest);
  return manifest;
}

/**
 * Builds the graph of every `pending` segment of the manifest (from the version's nodes.npy) and returns
 * the manifest with them `ready`; the caller stores it. Graphs land beside their segments before any
 * manifest names them, so a reader never finds a listed graph missing.
 */
export async function buildPendingGraphs(store: Store, keys: VersionKeys, manifest: SearchManifest): Promise<SearchManifest> {
  if (!manifest.segments.some((segment) => segment.graph === "pending")) return manifest;
  const vectors = { key: keys.vectors, dataOffset: manifest.vectors_offset, dim: manifest.embedder.dim };
  const segments: SegmentEntry[] = [];
  for (const segment of manifest.segments) segments.push(segment.graph === "pending" ? await buildSegmentGraph(store, keys.prefix, vectors, segment) : segment);
  return searchManifest(segments, manifest.embedder, manifest.vectors_offset);
}

/** Where row 0 starts in a stored .npy: its preamble length, read from the file's first bytes. */
export async function npyDataOffset(store: Store, key: string): Promise<number> {
  const head = await objectRange(store, key, 0, 10);
  return npyPreambleLength(head)!;
}
