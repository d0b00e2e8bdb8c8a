import type { SQSClient } from "@aws-sdk/client-sqs";
import type pg from "pg";
import { withTransaction } from "../db/transaction";
import type { EmbedderIdentity } from "../embeddings";
import { log } from "../log";
import type { Store } from "../store/client";
import type { SegmentPart } from "../search/segment-builder";
import type { SearchManifest } from "../search/version-indexes";
import { MIN_PART_BYTES } from "../store/object-writer";
import { deletePrefix, keyPages } from "../store/streams";
import { findUpload, type UploadRow } from "../uploads/upload-rows";
import { buildGraphsAfterSwitch, retireOlderVersions } from "../vaults/after-switch";
import { clustersOnThread, startSampleReading, writeAppendedVersion, type RowBlock } from "../vaults/version-writer";
import type { ClusterThread } from "../vectors/cluster-thread";
import { versionKeys } from "../vaults/versions";
import type { MergeUploadMessage } from "./messages";
import { markMerged } from "./claims";
import { failUpload } from "./upload-state";
import { planMerge, type MergePlan } from "./merge-plan";
import { enqueueChunks, wakeWaitingMerges } from "./pipeline-messages";
import * as lifecycle from "../uploads/lifecycle";
import { chunkLines, chunkRows, decodeLinesRange, decodeRowFactBytes, decodeRowFacts, LINES_RANGE_SECTION, parseNodeLine, readChunkFile, readChunkSegmentPart, readChunkVectorRange, readChunkVectorRows, readChunkVectors, ROW_FACT_BYTES_SECTION, ROW_FACTS_SECTION, type RowFacts, type StoredRange } from "./vault-files";
import type { VaultNode } from "./vault-nodes";
import { attemptPrefix, chunkInputKey, chunkSampleKey, workPrefix } from "./work-files";

export interface MergeDeps {
  db: pg.Pool;
  store: Store;
  sqs: SQSClient;
  embedQueueUrl: string;
  reduceQueueUrl: string;
  /** Vectors kept in memory for the clustering's second pass; above this they are read back from the store. */
  maxVectorBytesInMemory?: number;
  /** First versions from this many rows are clustered on their own thread, when their chunks have samples. */
  clusterThreadRows?: number;
}

export type MergeOutcome = "stale" | "already-merged" | "failed" | "waiting" | "reopened" | "merged";

interface VaultVersion {
  id: string;
  prefix: string;
  current_version: number;
  node_count: number;
  embedder_model: string | null;
  embedding_dim: number | null;
}

/**
 * The reduce queue's work (one vault at a time, FIFO grouped by vault): decides what the upload stores
 * ({@link planMerge}: its own exchanges, and those it deferred that no other upload will store), then
 * writes version N+1 of the vault — the current nodes.json, nodes.npy and clusters with those nodes
 * appended, composed by the store from the current files so only the new rows pass through here
 * (lib/vaults/version-writer.ts), and a search segment for them — and switches the vault to N+1 in the same transaction that
 * completes the upload and marks what it stored merged. Until that commit the current version is
 * untouched, so a crash anywhere loses nothing and the files readers see always agree; a retry
 * rewrites N+1 from scratch. A merge that must wait stores nothing and is asked again later.
 */
export async function mergeUpload(deps: MergeDeps, message: MergeUploadMessage): Promise<MergeOutcome> {
  const upload = await findUpload(deps.db, message.upload_id);
  if (!upload || upload.vault_id !== message.vault_id) return "stale";
  if (upload.state === "complete") {
    await deletePrefix(deps.store, workPrefix(upload.vault_prefix, upload.id));
    return "already-merged";
  }
  if (upload.state !== "merging" || upload.split_attempt !== message.attempt) return "stale";
  if (upload.chunks_done < upload.chunks_total) throw new Error(`merge of ${upload.id} requested with ${upload.chunks_done}/${upload.chunks_total} chunks embedded`);

  // The vectors are the ones the split's embedder made (embed workers refuse any other).
  const embedder: EmbedderIdentity = { embedder: upload.embedder!, model: upload.embedder_model!, dim: upload.embedding_dim! };
  const vault = (await deps.db.query<VaultVersion>("SELECT id, prefix, current_version, node_count, embedder_model, embedding_dim FROM personal.vaults WHERE id = $1", [upload.vault_id])).rows[0]!;
  if (vault.node_count > 0 && (vault.embedder_model !== embedder.model || vault.embedding_dim !== embedder.dim)) {
    await failUpload(deps, upload, `This upload was embedded with ${embedder.model}, but your vault holds ${vault.embedder_model} vectors. Mixing them would make search wrong.`);
    return "failed";
  }

  const planning = Date.now();
  // What the version's writing needs of the chunks is read beside the plan, and a large first version's
  // clustering thread starts reading their samples meanwhile (~0.3 s sooner for 100k exchanges).
  const starting = startVersion(deps, upload, vault, embedder.dim);
  starting.catch(() => undefined);
  let planned: { plan: StorePlan; written: WrittenVersion | undefined; started: number };
  try {
    const plan = await planMerge({ ...deps, dim: embedder.dim }, upload);
    if (plan.kind === "wait") {
      log.info("merge waits for overlapping uploads", { uploadId: upload.id, waitingOn: plan.on });
      return "waiting";
    }
    if (plan.kind === "reopened") {
      await enqueueChunks(deps, upload, upload.split_attempt);
      log.info("merge took over exchanges a failed upload let go", { uploadId: upload.id, chunks: plan.chunks.length });
      return "reopened";
    }
    const started = Date.now();
    // Files, clusters and search segments of the version, all written before it becomes current.
    const written = plan.held.size + plan.adoptedVectors.size > 0 ? await writeVersion(deps, upload, vault, embedder, plan, await starting) : undefined;
    planned = { plan, written, started };
  } finally {
    // The version's writing stops the thread it was given; a merge that never got that far stops it here.
    await starting.then((start) => start.clusterThread?.stop(), () => undefined);
  }
  const { plan, written, started } = planned;
  const added = plan.held.size + plan.adoptedVectors.size;
  const switched = await switchVersion(deps.db, upload, vault, written, plan, embedder, { mergeMs: Date.now() - started, planMs: started - planning });
  if (!switched) {
    // Its upload gone (its vault was emptied, lib/vaults/empty-vault.ts) or settled meanwhile: nothing
    // to retry, and what it wrote goes with the emptied vault's files, or is rewritten by the next merge.
    const now = await findUpload(deps.db, upload.id);
    if (!now || now.state !== "merging") {
      log.info("merge abandoned: its upload was cancelled meanwhile", { uploadId: upload.id, vaultId: vault.id });
      return "stale";
    }
    throw new Error(`vault ${vault.id} or the claims of upload ${upload.id} changed during the merge; retrying`);
  }

  await deletePrefix(deps.store, workPrefix(upload.vault_prefix, upload.id));
  await wakeWaitingMerges(deps, vault.id, upload.id);
  // Keep the version just replaced for readers that started before the switch; anything older goes.
  if (written) {
    await retireOlderVersions(deps.store, vault.prefix, vault.current_version);
    await buildGraphsAfterSwitch(deps.store, versionKeys(vault.prefix, vault.current_version + 1), written.search);
  }
  log.info("upload merged", { uploadId: upload.id, vaultId: vault.id, version: vault.current_version + (written ? 1 : 0), nodes: written?.nodeCount ?? vault.node_count, added, adopted: plan.adoptedVectors.size });
  return "merged";
}

/**
 * Chunks read while the version writer works on the one before: each is a store round trip (its vectors
 * and search part, and its lines when the store cannot copy them), which otherwise leaves the merge
 * waiting between chunks. A few chunks bound the memory: 1 MiB of vectors for a 256-node chunk, 8 MiB
 * for the 2,048-node chunks of a large upload's bulk (lib/ingest/split-upload.ts), plus ~3 KB of lines
 * per node where they are read.
 */
const CHUNKS_READ_AHEAD = 3;

/**
 * `read(item)` for each item, yielded in order, with up to `ahead` reads started before their turn. A
 * read that fails is reported when its turn comes (it is never left unhandled meanwhile), and the reads
 * already started when the consumer stops early are left to finish on their own.
 */
export async function* readAhead<T, R>(items: readonly T[], read: (item: T) => Promise<R>, ahead: number): AsyncGenerator<R> {
  const started: Promise<R>[] = [];
  let next = 0;
  const start = () => {
    const reading = read(items[next++]!);
    reading.catch(() => undefined);
    started.push(reading);
  };
  while (started.length > 0 || next < items.length) {
    while (started.length <= ahead && next < items.length) start();
    yield await started.shift()!;
  }
}

interface WrittenVersion {
  nodeCount: number;
  added: number;
  bytes: number;
  search: SearchManifest;
  /** Where the merge's time went (lib/vaults/version-writer.ts `timings`), kept with the upload's timings. */
  timings: Record<string, number>;
}

type StorePlan = Extract<MergePlan, { kind: "store" }>;

/**
 * A chunk as the merge reads it: its vectors and search part, and either where its rows are in the store
 * (to be copied), their lines and facts, or (chunks without facts) its nodes parsed.
 */
type ReadChunk = { segmentPart: SegmentPart | undefined } & (
  | { stored: { lines: StoredRange; vectors: StoredRange }; vectors: Float32Array | undefined; facts: RowFacts[]; lines?: undefined; nodes?: undefined }
  | { stored?: undefined; vectors: Float32Array; facts: RowFacts[]; lines: Buffer[]; nodes?: undefined }
  | { stored?: undefined; vectors: Float32Array; facts: undefined; nodes: VaultNode[]; lines: Buffer[] | undefined }
);

/** Where the chunk files of the upload's split attempt are (lib/ingest/work-files.ts). */
function chunkLocation(upload: UploadRow): { vaultPrefix: string; uploadId: string; attempt: number } {
  return { vaultPrefix: upload.vault_prefix, uploadId: upload.id, attempt: upload.split_attempt };
}

/** What the version's writing starts from, read before the plan is made ({@link startVersion}). */
interface VersionStart {
  /** The chunks of the upload's split attempt, in order, with the rows each holds. */
  chunks: { chunk_index: number; records: number }[];
  /** Their clustering samples, for a first version when every chunk has one. */
  sampleFiles: string[] | undefined;
  /** Reading those samples, when the chunks hold rows enough to be clustered on a thread of their own. */
  clusterThread: ClusterThread | undefined;
}

/**
 * The chunks, their samples and the clustering thread reading them, started before the plan says what the
 * version adds. A merge that then waits or takes exchanges over has its thread stopped unused: rare.
 */
async function startVersion(deps: MergeDeps, upload: UploadRow, vault: VaultVersion, dim: number): Promise<VersionStart> {
  const location = chunkLocation(upload);
  const { rows: chunks } = await deps.db.query<{ chunk_index: number; records: number }>(
    "SELECT chunk_index, records FROM personal.upload_chunks WHERE upload_id = $1 AND attempt = $2 ORDER BY chunk_index",
    [upload.id, upload.split_attempt],
  );
  const sampleFiles = vault.node_count === 0 ? await chunkSamples(deps.store, location, chunks) : undefined;
  // The version adds at most the chunks' rows (the plan may leave some out): with fewer, no thread.
  const rows = chunks.reduce((sum, chunk) => sum + chunk.records, 0);
  const threaded = clustersOnThread({ previous: vault.current_version, previousNodes: vault.node_count, added: rows, sampleFiles, clusterThreadRows: deps.clusterThreadRows });
  return { chunks, sampleFiles, clusterThread: threaded ? await startSampleReading(deps.store, dim, sampleFiles!) : undefined };
}

/**
 * Version N+1: the current files extended by the rows this upload stores, in chunk order
 * (lib/vaults/version-writer.ts: the store copies the previous bytes, only the new rows pass through).
 */
async function writeVersion(deps: MergeDeps, upload: UploadRow, vault: VaultVersion, embedder: EmbedderIdentity, plan: StorePlan, start: VersionStart): Promise<WrittenVersion> {
  const dim = embedder.dim;
  const location = chunkLocation(upload);
  // A chunk row is stored if this upload holds its exchange, or adopts it from the upload that holds it.
  const stores = (hash: string) => plan.held.has(hash) || plan.adoptedVectors.has(hash);
  const { chunks } = start;
  const added = plan.held.size + plan.adoptedVectors.size;
  // The chunks' samples hold the rows this upload's workers embedded, not those it adopts (another
  // upload embedded them): a version with adopted rows is clustered from its rows as they pass.
  const sampleFiles = plan.adoptedVectors.size === 0 ? start.sampleFiles : undefined;
  const versionInput = {
    prefix: vault.prefix,
    previous: vault.current_version,
    previousNodes: vault.node_count,
    added,
    embedder,
    sampleFiles,
    clusterThreadRows: deps.clusterThreadRows,
    clusterThread: start.clusterThread,
  };
  // Clustered on a thread of its own, the version takes the vectors of the rows the store copies from the
  // store there: they are not read here (416 MB for 100k exchanges, most of this thread's work).
  const vectorsInStore = clustersOnThread(versionInput);
  const readChunk = async (chunk: { chunk_index: number; records: number }): Promise<ReadChunk> => {
    const expected = { rows: chunk.records, dim };
    const [read, segmentPart] = await Promise.all([
      vectorsInStore ? readChunkVectorRange(deps.store, location, chunk.chunk_index, expected) : readChunkVectorRows(deps.store, location, chunk.chunk_index, expected),
      readChunkSegmentPart(deps.store, location, chunk.chunk_index),
    ]);
    const storedVectors = read.stored;
    // The facts its embed worker put in the part spare parsing the lines; without them (a worker from
    // before they were written, or a chunk with deferred rows, which gets no part) the lines are parsed.
    const facts = segmentPart && (decodeRowFactBytes(segmentPart.extra[ROW_FACT_BYTES_SECTION], segmentPart.rows) ?? decodeRowFacts(segmentPart.extra[ROW_FACTS_SECTION], segmentPart.rows));
    // The usual chunk: every row is this upload's own, and the part says where its lines are in the chunk
    // file, so the store copies them (and the vectors) into the version and the lines are never read here.
    // Lines too few to make a copied part (S3's 5 MiB minimum) are read here instead, with the chunks read
    // ahead: the writer would read them through itself, one chunk after the other.
    const linesRange = segmentPart && decodeLinesRange(segmentPart.extra[LINES_RANGE_SECTION]);
    const copyable = linesRange && linesRange.end - linesRange.start > MIN_PART_BYTES;
    if (facts && copyable && facts.every((row) => plan.held.has(row.hash))) {
      const stored = { lines: { key: chunkInputKey(location.vaultPrefix, location.uploadId, location.attempt, chunk.chunk_index), ...linesRange }, vectors: storedVectors };
      return { facts, vectors: read.vectors, segmentPart, stored };
    }
    const [bytes, vectors] = await Promise.all([readChunkFile(deps.store, location, chunk.chunk_index), read.vectors ?? readChunkVectors(deps.store, location, chunk.chunk_index, expected)]);
    const lines = facts && chunkLines(bytes);
    if (facts && lines?.length === facts.length) return { facts, lines, vectors, segmentPart };
    return { ...chunkRows(bytes), facts: undefined, vectors, segmentPart };
  };
  const blocks = async function* (): AsyncGenerator<RowBlock> {
    for await (const chunk of readAhead(chunks, readChunk, CHUNKS_READ_AHEAD)) {
      const { lines, segmentPart } = chunk;
      if (chunk.stored) {
        if (chunk.facts.length > 0) yield { labels: chunk.facts, vectors: chunk.vectors, segmentPart, stored: chunk.stored };
        continue;
      }
      const { vectors } = chunk;
      if (chunk.facts?.every((row) => plan.held.has(row.hash))) {
        // Every row is this upload's own: its lines, vectors, labels and search part as the chunk has them.
        if (chunk.facts.length > 0) yield { labels: chunk.facts, vectors, lines, segmentPart };
        continue;
      }
      const nodes = chunk.facts ? lines!.map(parseNodeLine) : chunk.nodes!;
      if (nodes.every((node) => plan.held.has(node.hash))) {
        if (nodes.length > 0) yield { nodes, vectors, lines, segmentPart };
        continue;
      }
      // Rows left out or taken from other uploads: the part does not match, the writer indexes these rows.
      const kept = nodes.flatMap((node, row) => (stores(node.hash) ? [{ node, row }] : []));
      const block = new Float32Array(kept.length * dim);
      kept.forEach(({ node, row }, at) => block.set(plan.held.has(node.hash) ? vectors.subarray(row * dim, (row + 1) * dim) : plan.adoptedVectors.get(node.hash)!, at * dim));
      if (kept.length > 0) yield { nodes: kept.map(({ node }) => node), vectors: block, lines: lines && kept.map(({ row }) => lines[row]!) };
    }
  };
  const written = await writeAppendedVersion(deps.store, { ...versionInput, blocks: blocks(), maxVectorBytesInMemory: deps.maxVectorBytesInMemory });
  log.info("version written", {
    vaultId: vault.id,
    version: written.version,
    added: written.added,
    clusters: written.clusters,
    indexedFromParts: written.indexedFromParts,
    copiedBytes: written.files.nodes.copied + written.files.vectors.copied + written.files.clusters.copied,
    throughBytes: written.files.nodes.uploaded + written.files.nodes.read + written.files.vectors.uploaded + written.files.vectors.read + written.files.clusters.uploaded + written.files.clusters.read,
    ...written.timings,
  });
  const { filesMs, clustersMs, searchMs } = written.timings;
  const { nodes, vectors } = written.files;
  const timings = {
    merge_files_ms: Math.round(filesMs),
    merge_clusters_ms: Math.round(clustersMs),
    merge_search_ms: Math.round(searchMs),
    // What nodes.json and nodes.npy cost in bytes: copied by the store, or sent or read by the function.
    merge_copied_bytes: nodes.copied + vectors.copied,
    merge_through_bytes: nodes.uploaded + nodes.read + vectors.uploaded + vectors.read,
  };
  return { nodeCount: written.nodeCount, added: written.added, bytes: written.bytes, search: written.search, timings };
}

/**
 * The keys of the chunks' clustering samples, in chunk order, when every chunk has one (the embed
 * workers of a large upload write them, lib/ingest/embed-chunk.ts); undefined otherwise.
 */
async function chunkSamples(store: Store, location: { vaultPrefix: string; uploadId: string; attempt: number }, chunks: readonly { chunk_index: number }[]): Promise<string[] | undefined> {
  const keys = chunks.map((chunk) => chunkSampleKey(location.vaultPrefix, location.uploadId, location.attempt, chunk.chunk_index));
  const present = new Set<string>();
  for await (const page of keyPages(store, attemptPrefix(location.vaultPrefix, location.uploadId, location.attempt))) for (const key of page) present.add(key);
  return keys.every((key) => present.has(key)) ? keys : undefined;
}

/**
 * The commit point: the vault moves to the new version only if it is still on the version this merge
 * started from, and only if the claims are still as planned (this upload's, and each adopted one still
 * its holder's), in the same transaction that completes the upload and marks its exchanges merged.
 * Without new nodes (everything it deferred was merged by others) the upload completes on the current
 * version, its file counted towards the vault's size.
 */
async function switchVersion(db: pg.Pool, upload: UploadRow, vault: VaultVersion, written: WrittenVersion | undefined, plan: StorePlan, embedder: EmbedderIdentity, took: { mergeMs: number; planMs: number }): Promise<boolean> {
  return withTransaction(db, async (tx) => {
    const rollback = () => {
      throw new ClaimsMovedError();
    };
    if ((await markMerged(tx, vault.id, upload.id)) !== plan.held.size) rollback();
    for (const [holder, entry] of plan.adopted) {
      const hashes = [...entry.hashes].filter((hash) => plan.adoptedVectors.has(hash)).map((hash) => Buffer.from(hash, "hex"));
      const moved = await tx.query(
        "UPDATE personal.vault_exchanges SET upload_id = $3, state = 'merged', forget_id = NULL, forgotten_upload_id = NULL WHERE vault_id = $1 AND upload_id = $2 AND state = 'claimed' AND content_hash = ANY($4::bytea[])",
        [vault.id, holder, upload.id, hashes],
      );
      if ((moved.rowCount ?? 0) !== hashes.length) rollback();
    }
    if (written) {
      const { rows: kept } = await tx.query<{ bytes: number }>(
        "SELECT coalesce(sum(uploaded_bytes), 0)::bigint AS bytes FROM personal.vault_uploads WHERE vault_id = $1 AND duplicate_of IS NULL AND original_removed_by IS NULL AND (state = 'complete' OR id = $2)",
        [vault.id, upload.id],
      );
      const moved = await tx.query(
        `UPDATE personal.vaults
            SET current_version = current_version + 1, node_count = $3, total_bytes = $4, last_sync_at = now(),
                embedder = $5, embedder_model = $6, embedding_dim = $7, error_message = NULL
          WHERE id = $1 AND current_version = $2`,
        [vault.id, vault.current_version, written.nodeCount, Number(kept[0]!.bytes) + written.bytes, embedder.embedder, embedder.model, embedder.dim],
      );
      if (!moved.rowCount) rollback();
    } else {
      await tx.query("UPDATE personal.vaults SET total_bytes = total_bytes + $2 WHERE id = $1", [vault.id, Number(upload.uploaded_bytes ?? 0)]);
    }
    if (!(await lifecycle.completeMerge(tx, upload.id, upload.split_attempt, { nodesCreated: plan.held.size + plan.adoptedVectors.size, mergeMs: took.mergeMs, mergeParts: { ...written?.timings, merge_plan_ms: took.planMs } }))) rollback();
    await tx.query("DELETE FROM personal.upload_deferrals WHERE upload_id = $1", [upload.id]);
    return true;
  }).catch((error) => {
    if (error instanceof ClaimsMovedError) return false;
    throw error;
  });
}

class ClaimsMovedError extends Error {}
