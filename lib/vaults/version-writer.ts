import { setImmediate as yieldToIo } from "node:timers/promises";
import type { EmbedderIdentity } from "../embeddings";
import { labelText, type LabelBytes, type LabelText, type VaultNode } from "../ingest/vault-nodes";
import { parseNodeLine, readNodeLines, readStoredRows, type StoredRange } from "../ingest/vault-files";
import { createSegmentBuilder, partLineLengths, type SegmentPart } from "../search/segment-builder";
import { appendSegments, graphStateFor, SEGMENT_POLICY, segmentName, writeSegment, type SegmentEntry } from "../search/segments";
import { readSearchManifest, searchManifest, writeSearchManifest, writeVersionIndexes, type SearchManifest } from "../search/version-indexes";
import type { Store } from "../store/client";
import { headObject, presignGet } from "../store/objects";
import { createObjectWriter, type WrittenObject } from "../store/object-writer";
import { objectRange } from "../store/ranged";
import { objectBytes } from "../store/streams";
import { chooseK, resolveFitParams, type ClusterFit } from "../vectors/cluster-fit";
import { startClusterThread, type ClusterCount, type ClusterThread } from "../vectors/cluster-thread";
import { clusterSums, clustersDocumentFrom, createClusterAccumulator, createClusterUpdate, createIdsDigest, labelRows, RECLUSTER_GROWTH, type NodeText } from "../vectors/clusters";
import type { ClustersHeader } from "../vectors/cluster-update";
import { float32FromLeBytes, float32LeBytes } from "../vectors/float32-le";
import { decodeNpy, encodeNpy, encodeNpyHeader, NPY_HEAD_BYTES, parseNpyHeader } from "../vectors/npy";
import { versionKeys } from "./versions";

/** clusters.json is read from its start in steps of this size until its assignments begin. */
const CLUSTERS_HEAD_STEP = 256 * 1024;
const ASSIGNMENTS_KEY = ',"assignments":[';
const LINE_SEPARATOR = Buffer.from(",\n");

/** The rows a merge adds, in order: nodes and their vectors (row-major, `dim` floats each), one block at a time. */
export interface RowBlock {
  /**
   * The rows' nodes. A caller that has each row's line and {@link RowBlock.labels} may leave them out:
   * the lines are then parsed only if the writer has to index the rows itself (their part not joined).
   */
  nodes?: readonly VaultNode[];
  /** Each row's id and topic-label text ({@link labelText}, or its UTF-8 bytes), given instead of the nodes. */
  labels?: readonly (LabelText | LabelBytes)[];
  /**
   * The rows' vectors. A block whose rows are {@link RowBlock.stored} may leave them out: a first
   * version clustered on its own thread ({@link clustersOnThread}) has the thread read them from the
   * store, and otherwise they are read here when needed.
   */
  vectors?: Float32Array;
  /** Each node's line of nodes.json (`JSON.stringify(node)` as UTF-8) when the caller has it already. */
  lines?: readonly Uint8Array[];
  /**
   * The search segment's files for exactly these nodes and lines, made ahead (by the embed worker of
   * their chunk): joined into the segment instead of indexing each node's text here. Used with `lines`
   * or `stored`.
   */
  segmentPart?: SegmentPart;
  /**
   * Instead of `lines`, with `labels` and `segmentPart` (which gives each line's length): where the rows
   * already are in the store. `lines` holds `,\n` and the line of each row, as nodes.json lays out every
   * line after its first; `vectors` the little-endian bytes of {@link RowBlock.vectors}. The store copies
   * both into the version (S3 UploadPartCopy), so the rows' text never passes through this function; a
   * block whose part cannot join the segment being built has its lines read, to be indexed here.
   */
  stored?: { lines: StoredRange; vectors: StoredRange };
}

export interface AppendVersionInput {
  prefix: string;
  /** The version the new one extends (0, or a version of 0 nodes: the vault is empty). */
  previous: number;
  /** Nodes in the previous version (its nodes.npy is checked against it). */
  previousNodes: number;
  /** Rows `blocks` will yield (the .npy header is written first). */
  added: number;
  embedder: EmbedderIdentity;
  blocks: AsyncIterable<RowBlock>;
  /** Vectors kept in memory for a first version's clustering; above this they are read back from the store. */
  maxVectorBytesInMemory?: number;
  /**
   * Clustering samples of the new rows (lib/vectors/sample-file.ts), the keys of one per chunk in row
   * order. With them a first version of at least `clusterThreadRows` rows is clustered on a thread of
   * its own (lib/vectors/cluster-thread.ts): fitted on the samples while the blocks start to pass, then
   * assigning each block as it passes, so no vectors are kept and none of the clustering is left to do
   * once the last row is written.
   */
  sampleFiles?: readonly string[];
  /** Rows from which {@link AppendVersionInput.sampleFiles} are used; default {@link CLUSTER_THREAD_ROWS}. */
  clusterThreadRows?: number;
  /**
   * A clustering thread already reading `sampleFiles` ({@link startSampleReading}), started by a caller
   * beside its own work before it knew `added`: used if the version is clustered on a thread, stopped
   * otherwise. The version's writing stops it when it ends, as one it starts itself.
   */
  clusterThread?: ClusterThread;
}

/**
 * From this many rows a first version is clustered on its own thread when its chunks have samples: a
 * quarter of them (lib/vectors/sample-file.ts `SAMPLE_RATE`) is then expected to hold the 16,384 rows
 * the clusters are fitted on, as many as the clustering here samples. Below, the vectors are few enough
 * to keep in memory for the second pass (256 MB at 1,024 dimensions).
 */
export const CLUSTER_THREAD_ROWS = 65_536;

/**
 * Whether {@link writeAppendedVersion} clusters the rows of `input` on a thread of their own, which reads
 * the vectors of rows the store copies ({@link RowBlock.stored}) itself: blocks need not bring them.
 */
export function clustersOnThread(input: Pick<AppendVersionInput, "previous" | "previousNodes" | "added" | "sampleFiles" | "clusterThreadRows">): boolean {
  return !extendsPrevious(input) && input.sampleFiles !== undefined && input.added >= (input.clusterThreadRows ?? CLUSTER_THREAD_ROWS);
}

/**
 * A version with no rows (an emptied vault, lib/vaults/empty-vault.ts, has no files; a forget of everything
 * leaves an empty nodes.json) has nothing to extend: the new rows make a first version.
 */
function extendsPrevious(input: Pick<AppendVersionInput, "previous" | "previousNodes">): boolean {
  return input.previous > 0 && input.previousNodes > 0;
}

export interface AppendedVersion {
  version: number;
  nodeCount: number;
  added: number;
  /** Bytes of the version's files (nodes.json, nodes.npy, clusters.json). */
  bytes: number;
  /** How the big files were made: bytes copied by the store versus sent or read by this function. */
  files: { nodes: WrittenObject; vectors: WrittenObject; clusters: WrittenObject };
  /** `extended`: new nodes joined the nearest clusters; `fitted`: all nodes were clustered again. */
  clusters: "extended" | "fitted";
  /** The version's search manifest, as stored; segments whose graph is `pending` are built after the switch (`buildPendingGraphs`). */
  search: SearchManifest;
  /**
   * `filesMs`: from the start until nodes.json and nodes.npy are complete. The clusters and the search
   * segment are made while the store completes those files, so `clustersMs` and `searchMs` (each its own
   * duration) overlap the end of `filesMs` and each other.
   */
  timings: { filesMs: number; clustersMs: number; searchMs: number };
  /** New rows whose search entries were joined from the blocks' segment parts rather than indexed here. */
  indexedFromParts: number;
}

interface PreviousVersion {
  keys: ReturnType<typeof versionKeys>;
  nodesBytes: number;
  vectorsBytes: number;
  vectorsOffset: number;
  manifest: SearchManifest | undefined;
  clusters: { header: ClustersHeader; sums: Float32Array; assignmentsStart: number; size: number } | undefined;
}

/**
 * Writes version `previous + 1` of a vault: the previous version's nodes.json, nodes.npy and
 * clusters.json with the new rows appended, plus its clusters' member sums and its search manifest.
 *
 * The previous version's bytes never pass through this function: each file is composed by the store
 * from a server-side copy of the previous one (S3 UploadPartCopy, see lib/store/object-writer.ts) and
 * the new rows, so a merge costs O(new) in time, bytes moved and memory (the new rows' index files and
 * cluster ids; a few MiB of each file where S3's 5 MiB part minimum asks for it). New nodes join the
 * nearest existing cluster ({@link createClusterUpdate}); once the vault has grown by
 * {@link RECLUSTER_GROWTH} since its clusters were fitted, or when the previous version has no cluster
 * sums, every node is clustered again from the stored files (two passes over nodes.npy, one over
 * nodes.json, in bounded memory), which over a vault's life costs O(1) per node. Search segments for
 * the new rows are appended to the previous version's (lib/search/segments.ts); a previous version
 * without a manifest this code reads gets the whole new version indexed instead.
 *
 * Nothing here changes what readers see: the caller switches `current_version` afterwards.
 */
export async function writeAppendedVersion(store: Store, input: AppendVersionInput): Promise<AppendedVersion> {
  const started = performance.now();
  const before = extendsPrevious(input) ? await readPrevious(store, versionKeys(input.prefix, input.previous), input.previousNodes, input.embedder.dim) : undefined;
  return composeVersion(store, { ...input, version: input.previous + 1, before, started });
}

export interface WholeVersionInput {
  prefix: string;
  /** The version to write (the caller's current version + 1). */
  version: number;
  /** Rows `blocks` will yield: the whole version. */
  rows: number;
  embedder: EmbedderIdentity;
  blocks: AsyncIterable<RowBlock>;
  /** As {@link AppendVersionInput.maxVectorBytesInMemory}; 0 reads the vectors back from the store for the clustering. */
  maxVectorBytesInMemory?: number;
}

/**
 * Writes version `version` of a vault from all of its rows, nothing copied from an earlier version:
 * what a forget needs, since leaving rows out moves every later row's number and bytes. The same
 * writer as {@link writeAppendedVersion} for a first version: nodes.json and nodes.npy streamed out as
 * the blocks arrive, every node clustered again (labels drawn only from the rows written), and fresh
 * search segments. Memory is bounded by a block, one segment's index files and the clustering's
 * centroids (with `maxVectorBytesInMemory: 0` the second clustering pass reads nodes.npy back);
 * time and bytes are O(version).
 */
export async function writeWholeVersion(store: Store, input: WholeVersionInput): Promise<AppendedVersion> {
  return composeVersion(store, { ...input, previousNodes: 0, added: input.rows, before: undefined, started: performance.now() });
}

interface ComposeInput extends Omit<AppendVersionInput, "previous"> {
  version: number;
  /** The version whose files the new one extends; undefined: the blocks are the whole version. */
  before: PreviousVersion | undefined;
  started: number;
}

async function composeVersion(store: Store, input: ComposeInput): Promise<AppendedVersion> {
  const { version, before, started } = input;
  const to = versionKeys(input.prefix, version);
  const dim = input.embedder.dim;
  const total = input.previousNodes + input.added;

  const fitted = before?.clusters?.header.fitted_node_count ?? before?.clusters?.header.node_count ?? 0;
  const refit = !before?.clusters || before.clusters.header.k === 0 || total >= RECLUSTER_GROWTH * fitted;
  const update = refit ? undefined : createClusterUpdate(before!.clusters!.header, before!.clusters!.sums);
  const newAssignments: number[] = [];
  const keepLimit = input.maxVectorBytesInMemory ?? 1024 ** 3;
  // A first version is clustered on a thread of its own, fitted on its chunks' samples, or here from the
  // rows as they pass, kept in memory when they fit.
  const threaded = !before && input.sampleFiles !== undefined && input.added >= (input.clusterThreadRows ?? CLUSTER_THREAD_ROWS);
  const clusterThread = threaded ? (input.clusterThread ?? (await startSampleReading(store, dim, input.sampleFiles!))) : undefined;
  clusterThread?.fit(sampledClusterCount(input.added));
  if (!threaded) await input.clusterThread?.stop();
  const firstFit = before || threaded ? undefined : createClusterAccumulator(dim, { expectedRows: input.added });
  const kept: Float32Array[] = [];
  let keptBytes = 0;
  // With them, what the clusters document needs of the nodes, so nodes.json is not read back for it:
  // the ids' digest, and each row's label text (the labels sample rows known only after the fit).
  const firstIds = firstFit || clusterThread ? createIdsDigest() : undefined;
  const keptTexts: KeptText[] = [];

  const segments: SegmentEntry[] = [];
  const indexSegments = !before || before.manifest !== undefined;
  let builder = createSegmentBuilder();
  let segmentFirst = input.previousNodes;
  const closeSegment = async () => {
    if (builder.rows === 0) return;
    const rows = builder.rows;
    segments.push(await writeSegment(store, input.prefix, { name: segmentName(version, segmentFirst), first: segmentFirst, rows, graph: graphStateFor(rows) }, builder.encode()));
    segmentFirst += rows;
    builder = createSegmentBuilder();
  };

  const nodes = createObjectWriter(store, to.nodes, { contentType: "application/json" });
  const vectors = createObjectWriter(store, to.vectors, { contentType: "application/octet-stream" });
  let filesWritten: Promise<[WrittenObject, WrittenObject]> | undefined;
  try {
    // nodes.json is `[\n` + lines joined by `,\n` + `\n]\n` (nodesJsonLines): the previous file minus its
    // last 3 bytes ends right after its last node.
    let position: number;
    if (before) {
      await nodes.copy(before.keys.nodes, 0, before.nodesBytes - 3);
      position = before.nodesBytes - 3;
    } else {
      await nodes.write("[\n");
      position = 2;
    }
    const header = encodeNpyHeader(total, dim);
    await vectors.write(header);
    if (before) await vectors.copy(before.keys.vectors, before.vectorsOffset, before.vectorsBytes);

    let rows = 0;
    let indexedFromParts = 0;
    for await (const given of input.blocks) {
      let block = given;
      let { count, ids, nodes: blockNodes, label } = blockRows(block);
      if (block.vectors ? block.vectors.length !== count * dim : !block.stored) throw new Error(`a block of ${count} nodes came with ${block.vectors?.length ?? "no"} floats (dim ${dim})`);
      if (count === 0) continue;
      // Vectors left in the store are read here unless the clustering thread reads them (copied rows).
      if (!block.vectors && !clusterThread) block = { ...block, vectors: await readStoredVectors(store, block.stored!.vectors) };
      rows += count;
      if (rows > input.added) throw new Error(`more than the ${input.added} rows announced for version ${version}`);
      const separated = position > 2 || before !== undefined;
      const firstLine = separated ? position + LINE_SEPARATOR.length : position;
      // A block's part is joined whole, so only when the block fits in the segment being built.
      const fits = indexSegments && block.segmentPart !== undefined && builder.rows + count <= SEGMENT_POLICY.maxRows;
      let joined = false;
      let copied: RowBlock["stored"];
      if (block.stored) {
        const lengths = storedLineLengths(block, block.stored, count, dim);
        joined = fits && builder.addPart(block.segmentPart!, ids, lengths, firstLine);
        // Rows the store can copy: their index entries come from the part, or the version is indexed whole later.
        if (joined || !indexSegments) copied = block.stored;
        else {
          block = { ...block, stored: undefined, lines: await readStoredLines(store, block.stored.lines, lengths), vectors: block.vectors ?? (await readStoredVectors(store, block.stored.vectors)) };
          ({ count, ids, nodes: blockNodes, label } = blockRows(block));
        }
      } else {
        joined = fits && block.lines !== undefined && builder.addPart(block.segmentPart!, ids, block.lines.map((line) => line.length), firstLine);
      }
      if (joined) indexedFromParts += count;
      if (copied) {
        const from = separated ? copied.lines.start : copied.lines.start + LINE_SEPARATOR.length;
        await nodes.copy(copied.lines.key, from, copied.lines.end);
        position += copied.lines.end - from;
        // The vectors are in memory for the clusters anyway: what cannot be a copied part is written from
        // them, unless they go on to the clustering thread (then it is read back: the first block's few MiB).
        await vectors.copy(copied.vectors.key, copied.vectors.start, copied.vectors.end, clusterThread || !block.vectors ? undefined : float32LeBytes(block.vectors));
      } else {
        const text: Uint8Array[] = [];
        for (let index = 0; index < count; index++) {
          const line = block.lines?.[index] ?? Buffer.from(JSON.stringify(blockNodes()[index]), "utf8");
          if (position > 2 || before) {
            text.push(LINE_SEPARATOR);
            position += LINE_SEPARATOR.length;
          }
          if (indexSegments && !joined) {
            builder.add(blockNodes()[index]!, { offset: position, length: line.length });
            if (builder.rows === SEGMENT_POLICY.maxRows) await closeSegment();
          }
          position += line.length;
          text.push(line);
        }
        await nodes.write(Buffer.concat(text));
        // The writer keeps the bytes until they are sent: the block is the caller's to give away.
        await vectors.write(float32LeBytes(block.vectors!));
      }
      if (joined && builder.rows === SEGMENT_POLICY.maxRows) await closeSegment();
      // Only the clustering thread takes a block without its vectors (read above otherwise).
      if (update) newAssignments.push(...update.add(block.vectors!, ids));
      if (clusterThread) {
        // Nothing here holds a copied block's vectors any more: they move to the thread, or the thread reads them.
        if (block.vectors) await clusterThread.assign(block.vectors, copied !== undefined);
        else await clusterThread.assignStored({ name: copied!.vectors.key, url: await presignGet(store, copied!.vectors.key, SAMPLE_READ_SECONDS), start: copied!.vectors.start, end: copied!.vectors.end });
        for (const id of ids) firstIds!.add(id);
        for (let index = 0; index < count; index++) keptTexts.push(keepText(label(index)));
      } else if (firstFit) {
        firstFit.add(block.vectors!);
        for (const id of ids) firstIds!.add(id);
        keptBytes += block.vectors!.byteLength;
        if (keptBytes <= keepLimit) {
          kept.push(block.vectors!);
          for (let index = 0; index < count; index++) keptTexts.push(keepText(label(index)));
        } else keptTexts.length = 0;
      }
    }
    if (rows !== input.added) throw new Error(`${rows} rows arrived for version ${version}, ${input.added} announced`);
    await nodes.write("\n]\n");
    // The store completes the two files (their last parts, then joining every part) while the search
    // segment and the clusters are made: those read the files back only where noted. The last parts are
    // sent first, ahead of the segment's encoding, which holds this thread for a few hundred ms on a large
    // upload: started beside it, their bytes waited for it (bench:ingest, 100k exchanges).
    const flushed = Promise.all([nodes.flush(), vectors.flush()]);
    let filesMs = 0;
    filesWritten = flushed.then(() => Promise.all([nodes.end(), vectors.end()])).then((written) => {
      filesMs = performance.now() - started;
      return written;
    });
    // Awaited below, or left to settle before the writers are aborted.
    filesWritten.catch(() => undefined);
    const keptAll = firstFit !== undefined && keptBytes <= keepLimit;
    const files = filesWritten;

    const searchTask = async () => {
      const searchStarted = performance.now();
      let search: SearchManifest;
      if (indexSegments) {
        // A failure to send is the files' to report (awaited below).
        await flushed.catch(() => undefined);
        await closeSegment();
        const listed = await appendSegments(store, input.prefix, version, before?.manifest?.segments ?? [], segments);
        search = searchManifest(listed, input.embedder, header.length);
        await writeSearchManifest(store, to, search);
      } else {
        // The previous version's indexes are not in a form this code extends: index the whole version once.
        await files;
        search = await writeVersionIndexes(store, to, input.embedder, { graphs: "later" });
      }
      return { search, searchMs: performance.now() - searchStarted };
    };
    const clustersTask = async () => {
      const clustersStarted = performance.now();
      let written: WrittenObject;
      if (update) {
        const { header: next, sums } = update.result();
        written = await writeExtendedClusters(store, to.clusters, before!, next, newAssignments);
        await putBytes(store, to.clusterSums, encodeNpy(sums, next.k, dim));
      } else if (clusterThread) {
        written = await writeFittedClusters(store, to, dim, total, await clusterThread.result(), { texts: keptTexts, idsDigest: firstIds!.digest() });
      } else if (keptAll) {
        const fit = await fitRows(store, to, dim, total, firstFit, kept);
        written = await writeFittedClusters(store, to, dim, total, fit, { texts: keptTexts, idsDigest: firstIds!.digest() });
      } else {
        // Every node clustered again from the stored files.
        await files;
        written = await writeFittedClusters(store, to, dim, total, await fitRows(store, to, dim, total, firstFit, undefined), undefined);
      }
      kept.length = 0;
      keptTexts.length = 0;
      return { written, clustersMs: performance.now() - clustersStarted };
    };
    const [{ search, searchMs }, { written: clustersWritten, clustersMs }, [nodesWritten, vectorsWritten]] = await Promise.all([searchTask(), clustersTask(), files]);
    await clusterThread?.stop();
    return {
      version,
      nodeCount: total,
      added: input.added,
      bytes: nodesWritten.bytes + vectorsWritten.bytes + clustersWritten.bytes,
      files: { nodes: nodesWritten, vectors: vectorsWritten, clusters: clustersWritten },
      clusters: update ? "extended" : "fitted",
      search,
      timings: { filesMs, clustersMs, searchMs },
      indexedFromParts,
    };
  } catch (error) {
    // A writer being completed is left to finish first: aborting it meanwhile could race its completion.
    await filesWritten?.catch(() => undefined);
    await Promise.all([nodes.abort(), vectors.abort(), clusterThread?.stop()]);
    throw error;
  }
}

async function readPrevious(store: Store, keys: ReturnType<typeof versionKeys>, nodeCount: number, dim: number): Promise<PreviousVersion> {
  const [nodesHead, vectorsHead, npyHead, manifest, clusters] = await Promise.all([
    headObject(store, keys.nodes),
    headObject(store, keys.vectors),
    objectRange(store, keys.vectors, 0, NPY_HEAD_BYTES).catch(() => undefined),
    readSearchManifest(store, keys),
    readClusters(store, keys),
  ]);
  if (!nodesHead || !vectorsHead || !npyHead) throw new Error(`version files of ${keys.nodes} are missing`);
  const npy = parseNpyHeader(npyHead.subarray(0, Math.min(npyHead.length, NPY_HEAD_BYTES)));
  if (npy.rows !== nodeCount || npy.dim !== dim) throw new Error(`${keys.vectors} holds (${npy.rows}, ${npy.dim}), the vault (${nodeCount}, ${dim})`);
  if (vectorsHead.size !== npy.headerLength + npy.dataLength) throw new Error(`${keys.vectors} is ${vectorsHead.size} bytes, its header says ${npy.headerLength + npy.dataLength}`);
  const tail = await objectRange(store, keys.nodes, nodesHead.size - 3, 3);
  if (tail.toString("latin1") !== "\n]\n") throw new Error(`${keys.nodes} does not end as nodes.json files do`);
  const usable = clusters && clusters.header.dim === dim && clusters.header.node_count === nodeCount ? clusters : undefined;
  const usableManifest = manifest && manifest.rows === nodeCount && manifest.embedder.dim === dim ? manifest : undefined;
  return { keys, nodesBytes: nodesHead.size, vectorsBytes: vectorsHead.size, vectorsOffset: npy.headerLength, manifest: usableManifest, clusters: usable };
}

/**
 * The previous clusters.json without its assignments (read from its start until they begin) and its
 * member sums; undefined when either is missing (a version written before sums were kept).
 */
async function readClusters(store: Store, keys: ReturnType<typeof versionKeys>): Promise<PreviousVersion["clusters"]> {
  const [head, sumsHead] = await Promise.all([headObject(store, keys.clusters), headObject(store, keys.clusterSums)]);
  if (!head || !sumsHead) return undefined;
  let text = "";
  let at = -1;
  // JSON.stringify escapes every quote inside a string, so the first `,"assignments":[` is the key.
  for (let read = 0; at < 0 && read < head.size; read += CLUSTERS_HEAD_STEP) {
    text += (await objectRange(store, keys.clusters, read, Math.min(CLUSTERS_HEAD_STEP, head.size - read))).toString("latin1");
    at = text.indexOf(ASSIGNMENTS_KEY);
  }
  if (at < 0) return undefined;
  const header = JSON.parse(Buffer.from(text.slice(0, at) + "}", "latin1").toString("utf8")) as ClustersHeader;
  const sums = decodeNpy(await objectBytes(store, keys.clusterSums));
  if (sums.rows !== header.k || sums.dim !== header.dim) return undefined;
  return { header, sums: sums.data, assignmentsStart: at + ASSIGNMENTS_KEY.length, size: head.size };
}

/**
 * clusters.json of the new version: the updated header, then the previous assignments (copied by the
 * store) and the new ones. The document ends `]}` (JSON.stringify with assignments last).
 */
async function writeExtendedClusters(store: Store, key: string, before: PreviousVersion, header: ClustersHeader, added: number[]): Promise<WrittenObject> {
  const previous = before.clusters!;
  const writer = createObjectWriter(store, key, { contentType: "application/json" });
  try {
    const start = JSON.stringify(header);
    await writer.write(`${start.slice(0, -1)}${ASSIGNMENTS_KEY}`);
    const end = previous.size - 2;
    await writer.copy(before.keys.clusters, previous.assignmentsStart, end);
    await writer.write(`${end > previous.assignmentsStart && added.length > 0 ? "," : ""}${added.join(",")}]}`);
    return await writer.end();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** A row's label text, its long text as UTF-8 bytes: a slice of a string would keep the whole node's text alive. */
interface KeptText {
  id: string;
  title: string | null;
  text: Buffer;
}

function keepText({ id, title, text }: LabelText | LabelBytes): KeptText {
  return { id, title, text: typeof text === "string" ? Buffer.from(text, "utf8") : text };
}

/**
 * The byte length of each line of a block whose rows are in the store, from its part, checked against
 * the stored ranges: `,\n` and a line per row, and `dim` floats per row.
 */
function storedLineLengths(block: RowBlock, stored: NonNullable<RowBlock["stored"]>, count: number, dim: number): number[] {
  const { lines, vectors } = stored;
  if (!block.segmentPart) throw new Error(`${lines.key}: rows in the store come with their segment part, which gives their lines' lengths`);
  const lengths = partLineLengths(block.segmentPart);
  const bytes = lengths.reduce((sum, length) => sum + LINE_SEPARATOR.length + length, 0);
  if (lengths.length !== count || bytes !== lines.end - lines.start) throw new Error(`${lines.key}: ${lines.end - lines.start} bytes of lines in the store, the part of ${count} rows says ${bytes}`);
  if (vectors.end - vectors.start !== count * dim * 4) throw new Error(`${vectors.key}: ${vectors.end - vectors.start} bytes of vectors in the store for ${count} rows of ${dim} floats`);
  return lengths;
}

/** The vectors of a block whose rows are in the store ({@link RowBlock.stored}), read from there. */
async function readStoredVectors(store: Store, range: StoredRange): Promise<Float32Array> {
  return float32FromLeBytes(await objectRange(store, range.key, range.start, range.end - range.start));
}

/** The lines of a block whose rows are in the store ({@link RowBlock.stored}), read from there. */
async function readStoredLines(store: Store, range: StoredRange, lengths: readonly number[]): Promise<Buffer[]> {
  const bytes = await objectRange(store, range.key, range.start, range.end - range.start);
  const lines: Buffer[] = [];
  let at = 0;
  for (const length of lengths) {
    if (!bytes.subarray(at, at + LINE_SEPARATOR.length).equals(LINE_SEPARATOR)) throw new Error(`${range.key}: no line separator at byte ${range.start + at}`);
    at += LINE_SEPARATOR.length;
    lines.push(bytes.subarray(at, at + length));
    at += length;
  }
  return lines;
}

/**
 * A block's rows as the writer takes them: their count and ids, their nodes (parsed from the lines on
 * first use when the block came without them) and each one's label text.
 */
function blockRows(block: RowBlock) {
  const given = block.nodes;
  const lines = block.lines?.length ?? (block.stored && block.segmentPart?.rows);
  if (!given && (!block.labels || lines !== block.labels.length)) throw new Error("a block without nodes must bring each row's line and label");
  let parsed = given;
  const nodes = () => (parsed ??= block.lines!.map(parseNodeLine));
  const count = given ? given.length : block.labels!.length;
  const ids = (given ?? block.labels!).map((row) => row.id);
  const label = (row: number): LabelText | LabelBytes => (given ? labelText(given[row]!) : block.labels![row]!);
  return { count, ids, nodes, label };
}

/** What the clusters document needs of every row of a first version, kept as it passed through the writer. */
interface KeptLabels {
  texts: KeptText[];
  idsDigest: string;
}

/**
 * Clusters every node of the version again: pass 1 over the rows, unless done already (`firstPass`:
 * the rows as they passed), else over the stored nodes.npy; the fit; pass 2 over the vectors `kept` in
 * memory as they passed, or over nodes.npy again.
 */
async function fitRows(store: Store, to: ReturnType<typeof versionKeys>, dim: number, total: number, firstPass: ReturnType<typeof createClusterAccumulator> | undefined, kept: Float32Array[] | undefined): Promise<ClusterFit> {
  const storedRows = async function* () {
    for await (const batch of readStoredRows(store, to.vectors)) yield batch.rows;
  };
  let pass1 = firstPass;
  if (!pass1) {
    pass1 = createClusterAccumulator(dim, { expectedRows: total });
    for await (const rows of storedRows()) pass1.add(rows);
  }
  const pass2 = pass1.fit();
  for await (const rows of kept ?? storedRows()) {
    pass2.assign(rows);
    // Rows in memory come without a pause: let the store's answers (the files being completed) in between.
    if (kept) await yieldToIo();
  }
  return pass2.result();
}

/** A merge's time limit (functions/manifest.ts): the thread's URLs outlive any merge. */
const SAMPLE_READ_SECONDS = 900;

/**
 * A clustering thread for a first version, reading the samples in `files` from now on; it fits once
 * given the version's rows ({@link sampledClusterCount}), which a caller may not know yet: see
 * {@link AppendVersionInput.clusterThread}.
 */
export async function startSampleReading(store: Store, dim: number, files: readonly string[]): Promise<ClusterThread> {
  const samples = await Promise.all(files.map(async (key) => ({ name: key, url: await presignGet(store, key, SAMPLE_READ_SECONDS) })));
  return startClusterThread({ dim, sampleSize: resolveFitParams().sampleSize, samples });
}

/** The clusters fitted for a first version of `rows` rows, and those rows, for its clustering thread. */
function sampledClusterCount(rows: number): ClusterCount {
  return { k: chooseK(rows), rows };
}

/**
 * The clusters document of a version clustered whole (`fit`), with the id digest and the text of the few
 * rows the labels sample: from the labels `kept` as the rows passed, or else from one pass over nodes.json.
 */
async function writeFittedClusters(store: Store, to: ReturnType<typeof versionKeys>, dim: number, total: number, fit: ClusterFit, kept: KeptLabels | undefined): Promise<WrittenObject> {
  if (fit.rows !== total) throw new Error(`clustered ${fit.rows} rows of ${total}`);

  const wanted = labelRows(fit);
  const texts = new Map<number, NodeText>();
  let idsDigest: string;
  if (kept) {
    if (kept.texts.length !== total) throw new Error(`kept the text of ${kept.texts.length} nodes, expected ${total}`);
    for (const row of wanted) {
      const { id, title, text } = kept.texts[row]!;
      texts.set(row, { id, title, text: text.toString("utf8") });
    }
    idsDigest = kept.idsDigest;
  } else {
    const digest = createIdsDigest();
    let row = 0;
    for await (const line of readNodeLines(store, to.nodes)) {
      const node = JSON.parse(line) as VaultNode;
      digest.add(node.id);
      if (wanted.has(row)) texts.set(row, labelText(node));
      row++;
    }
    if (row !== total) throw new Error(`${to.nodes} holds ${row} nodes, expected ${total}`);
    idsDigest = digest.digest();
  }
  const doc = clustersDocumentFrom(fit, { textAt: (r) => texts.get(r)!, idAt: (r) => texts.get(r)!.id, idsDigest }, { computedAt: new Date().toISOString() });
  const writer = createObjectWriter(store, to.clusters, { contentType: "application/json" });
  await writer.write(JSON.stringify(doc));
  const written = await writer.end();
  await putBytes(store, to.clusterSums, encodeNpy(clusterSums(fit), doc.clusters.length, dim));
  return written;
}

async function putBytes(store: Store, key: string, bytes: Uint8Array): Promise<void> {
  const writer = createObjectWriter(store, key, { contentType: "application/octet-stream" });
  await writer.write(bytes);
  await writer.end();
}
