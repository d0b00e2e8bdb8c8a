import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type pg from "pg";
import type { Embedder } from "../embeddings";
import { log } from "../log";
import type { Store } from "../store/client";
import { isMissingObject } from "../store/objects";
import { objectBytesFrom } from "../store/streams";
import { createBufferPool } from "../buffer-pool";
import { findUpload, type UploadRow } from "../uploads/upload-rows";
import { npyMatrix } from "../vectors/npy";
import type { EmbedChunkMessage } from "./messages";
import { requestMerge, wakeWaitingMerges } from "./pipeline-messages";
import { embeddingText, lowerCasedTexts, type VaultNode } from "./vault-nodes";
import { failUpload } from "./upload-state";
import { notHeldInChunk } from "./claims";
import * as lifecycle from "../uploads/lifecycle";
import { chunkInputKey, chunkSampleKey, chunkSegmentPartKey, chunkVectorsKey } from "./work-files";
import { encodeSample, inSample, samplePriority } from "../vectors/sample-file";
import { chunkLines, chunkLinesRange, chunkRows, createRowFactsWriter, encodeLinesRange, LINES_RANGE_SECTION, parseNodeLine, ROW_FACT_BYTES_SECTION } from "./vault-files";
import { createSegmentPartWriter } from "../search/segment-builder";

export interface EmbedDeps {
  db: pg.Pool;
  store: Store;
  sqs: SQSClient;
  reduceQueueUrl: string;
  embedder: Embedder;
  /** Uploads from this size on get a clustering sample per chunk; default {@link SAMPLED_UPLOAD_BYTES}. */
  sampledUploadBytes?: number;
}

export type EmbedOutcome = "stale" | "already-done" | "embedded";

/**
 * The embed queue's work: embeds one chunk, writes its vectors next to its input, and marks the chunk
 * done. Marking is a conditional update, so of any number of deliveries of one chunk exactly one
 * counts it. Chunks are embedded while the split still writes the next ones (each is announced once its
 * row and deferrals are committed); whichever finishes last, the split or the count of the last chunk,
 * moves the upload to `merging` (lib/uploads/lifecycle.ts), and that one asks for the merge and wakes
 * the vault's waiting merges (they may take vectors from this upload now). Messages of a superseded
 * split attempt, or for an upload that has settled, are dropped unread.
 *
 * Only the chunk's exchanges this upload holds are embedded: one deferred to another unsettled upload
 * gets a row of zeros, which no merge ever reads (the holder's vector is used, or the chunk is embedded
 * again once this upload takes the exchange over). So two uploads sharing exchanges embed them once.
 */
export async function embedChunk(deps: EmbedDeps, message: EmbedChunkMessage): Promise<EmbedOutcome> {
  const upload = await findUpload(deps.db, message.upload_id);
  if (!upload || upload.vault_id !== message.vault_id || upload.split_attempt !== message.attempt) return "stale";
  if (upload.state !== "parsing" && upload.state !== "embedding" && upload.state !== "merging") return "stale";
  // The message is only a pointer: it must point where this upload's chunk lives, nowhere else.
  const inputKey = chunkInputKey(upload.vault_prefix, upload.id, message.attempt, message.chunk_index);
  if (message.input_key !== inputKey) {
    log.warn("embed message points outside its upload; dropped", { uploadId: upload.id, key: message.input_key });
    return "stale";
  }
  const chunk = await deps.db.query<{ state: string }>(
    "SELECT state FROM personal.upload_chunks WHERE upload_id = $1 AND attempt = $2 AND chunk_index = $3",
    [upload.id, message.attempt, message.chunk_index],
  );
  if (!chunk.rows[0]) return "stale";
  if (chunk.rows[0].state === "done") {
    await requestMergeIfReady(deps, upload.id);
    return "already-done";
  }

  if (upload.embedder_model !== deps.embedder.model || upload.embedding_dim !== deps.embedder.dim) {
    // The embedding service changed mid-upload (a deploy): vectors of two models must never meet in a vault.
    await failUpload(deps, upload, "The embedding service changed while this upload was being processed. Your vault is unchanged; please upload the file again.");
    return "stale";
  }
  const input = await readChunkInput(deps, message, inputKey);
  if (!input) return "stale";
  const { vectorsKey, partKey, sampleKey } = await embedAndStore(deps, upload, message, input);

  const counted = await lifecycle.countEmbeddedChunk(deps.db, upload.id, message.attempt, message.chunk_index);
  if (!counted) await removeIfUnwanted(deps, message, [vectorsKey, partKey, sampleKey]);
  if (counted?.state === "merging") {
    await requestMerge(deps, upload, message.attempt);
    await wakeWaitingMerges(deps, upload.vault_id, upload.id);
  }
  return "embedded";
}

/**
 * Buffers an embed worker takes again from chunk to chunk: each chunk's input (~8 MB for 1,500
 * exchanges) and vector file (6 MB at 1,024 dims), which were most of the ArrayBuffers it allocated
 * per chunk (see lib/buffer-pool.ts for why that costs collections). A few, for the invocations a
 * thread runs at once locally; a Lambda instance runs one.
 */
const chunkBuffers = createBufferPool({ keep: 8 });

/**
 * Embeds the chunk's rows and stores its vectors, sample and search part next to its input. `input` is
 * from {@link chunkBuffers}: it and the vector file go back there once every write has finished with
 * them (not when one failed while others may still be sending them).
 */
async function embedAndStore(deps: EmbedDeps, upload: UploadRow, message: EmbedChunkMessage, input: Buffer): Promise<{ vectorsKey: string; partKey: string; sampleKey: string }> {
  const lines = chunkLines(input);
  const parsed = lines ? undefined : chunkRows(input).nodes;
  const rowCount = lines ? lines.length : parsed!.length;
  const skip = await notHeldInChunk(deps.db, upload.id, message.attempt, message.chunk_index);
  // Rows not embedded stay zeros (see above); the vectors go straight into the file's bytes.
  const matrix = npyMatrix(rowCount, deps.embedder.dim, (bytes) => chunkBuffers.take(bytes));
  // The chunk's search entries, made here (in parallel across chunks) so the merge only joins them. It
  // uses them only for a chunk whose every row the upload stores, so none are made for one with deferrals.
  // With each row's facts, so the merge need not parse the chunk's lines for them, and where the
  // lines are in the chunk file, so it need not read them either (the store copies them).
  const part = lines && skip.size === 0 ? { writer: createSegmentPartWriter(), facts: createRowFactsWriter() } : undefined;
  const embedded: { hash: string; row: number }[] = [];
  const group = deps.embedder.embedLowerCasedInto ? LOCAL_GROUP_ROWS : Math.max(rowCount, 1);
  for (let first = 0; first < rowCount; first += group) {
    const nodes = lines ? lines.slice(first, first + group).map(parseNodeLine) : parsed!.slice(first, first + group);
    const lowerCased = await embedRows(deps.embedder, nodes, first, skip, matrix.data);
    nodes.forEach((node, at) => {
      if (!skip.has(node.hash)) embedded.push({ hash: node.hash, row: first + at });
      part?.writer.add(node, lines![first + at]!.length, lowerCased?.[at]!.search);
      part?.facts.add(node);
    });
  }
  const vectorsKey = chunkVectorsKey(upload.vault_prefix, upload.id, message.attempt, message.chunk_index);
  const partKey = chunkSegmentPartKey(upload.vault_prefix, upload.id, message.attempt, message.chunk_index);
  const sampleKey = chunkSampleKey(upload.vault_prefix, upload.id, message.attempt, message.chunk_index);
  const put = (Key: string, Body: Uint8Array) => deps.store.client.send(new PutObjectCommand({ Bucket: deps.store.bucket, Key, Body, ContentType: "application/octet-stream" }));
  const sent = await Promise.allSettled([
    put(vectorsKey, matrix.file()),
    // A large upload's merge fits its topic clusters on the samples of its chunks before the rows pass.
    Number(upload.uploaded_bytes ?? 0) >= (deps.sampledUploadBytes ?? SAMPLED_UPLOAD_BYTES) ? put(sampleKey, chunkSample(embedded, matrix.data, deps.embedder.dim)) : undefined,
    part ? put(partKey, part.writer.encode(partSections(input, part.facts.encode()))) : undefined,
  ]);
  const failed = sent.find((outcome) => outcome.status === "rejected");
  if (failed) throw failed.reason;
  chunkBuffers.give(input);
  chunkBuffers.give(matrix.file());
  return { vectorsKey, partKey, sampleKey };
}

/**
 * Rows the local embedder takes at a time. Its rows are parsed, lower-cased and indexed a group at a
 * time, so that a group's texts are garbage before the next group is parsed: a chunk's texts whole
 * (~15 MB for 1,500 exchanges) outlived the young-generation collections that came while it was
 * embedded, and each one copied them, then promoted them. A hosted embedder takes the chunk's rows at
 * once, as its requests go out in parallel.
 */
const LOCAL_GROUP_ROWS = 64;

/**
 * Embeds the rows of `nodes` (rows `first` on) the upload holds into `into`; returns their texts
 * lower-cased when the embedder takes them so (the local one), for the search part.
 */
async function embedRows(embedder: Embedder, nodes: readonly VaultNode[], first: number, skip: ReadonlySet<string>, into: Float32Array): Promise<ReturnType<typeof lowerCasedTexts>[] | undefined> {
  // An embedder that lower-cases texts (the local one) takes them lower-cased, as the search part does:
  // each field lower-cased once for both.
  const lowerCased = embedder.embedLowerCasedInto ? nodes.map(lowerCasedTexts) : undefined;
  const held = nodes.flatMap((node, at) => (skip.has(node.hash) ? [] : [at]));
  if (held.length === 0) return lowerCased;
  const rows = held.map((at) => first + at);
  if (lowerCased && embedder.embedLowerCasedInto) await embedder.embedLowerCasedInto(held.map((at) => lowerCased[at]!.embedding), into, rows);
  else {
    const texts = held.map((at) => embeddingText(nodes[at]!));
    if (embedder.embedInto) await embedder.embedInto(texts, into, rows);
    else (await embedder.embed(texts)).forEach((vector, index) => into.set(vector, rows[index]! * embedder.dim));
  }
  return lowerCased;
}

/**
 * Uploads from this size on get a clustering sample per chunk: about 50,000 exchanges and more, where a
 * quarter of the rows is more than the 16,384 the clusters are fitted on (lib/vaults/version-writer.ts
 * uses the samples from 65,536 rows). A sample costs a quarter of the chunk's vector bytes once more.
 */
export const SAMPLED_UPLOAD_BYTES = 256 * 1024 * 1024;

/** The sample file of the embedded rows whose exchange's priority puts them in the sample. */
function chunkSample(embedded: readonly { hash: string; row: number }[], vectors: Float32Array, dim: number): Buffer {
  const sampled = embedded.flatMap(({ hash, row }) => {
    const priority = samplePriority(hash);
    return inSample(priority) ? [{ priority, row }] : [];
  });
  const rows = new Float32Array(sampled.length * dim);
  sampled.forEach(({ row }, at) => rows.set(vectors.subarray(row * dim, (row + 1) * dim), at * dim));
  return encodeSample(dim, sampled.map(({ priority }) => priority), rows);
}

/** What a chunk's segment part carries for the merge besides its index files: its rows' facts, and where its lines are. */
function partSections(input: Buffer, rowFacts: Buffer): Record<string, Buffer> {
  const range = chunkLinesRange(input);
  return { [ROW_FACT_BYTES_SECTION]: rowFacts, ...(range && { [LINES_RANGE_SECTION]: encodeLinesRange(range) }) };
}

/**
 * The chunk's input, or undefined when it is gone because its upload stopped wanting it: the upload
 * failed, completed, was deleted or split again after this worker checked its state, and whoever did so
 * removed its work files. A chunk missing while its upload still wants it is an error, retried.
 */
async function readChunkInput(deps: EmbedDeps, message: EmbedChunkMessage, inputKey: string): Promise<Buffer | undefined> {
  try {
    return await objectBytesFrom(chunkBuffers, deps.store, inputKey);
  } catch (error) {
    if (!isMissingObject(error) || (await stillWanted(deps, message))) throw error;
    log.info("chunk input gone with its upload; dropped", { uploadId: message.upload_id, chunk: message.chunk_index });
    return undefined;
  }
}

/** Whether the chunk's upload is still on its way with the split attempt that wrote the chunk. */
async function stillWanted(deps: EmbedDeps, message: EmbedChunkMessage): Promise<boolean> {
  const now = await findUpload(deps.db, message.upload_id);
  return !!now && now.split_attempt === message.attempt && now.state !== "failed" && now.state !== "complete";
}

/**
 * The upload failed, completed or was split again while this chunk was embedded (its split may still
 * have been running): whoever removed its work files may have done so before this worker wrote the
 * vectors (and search part), so they go now. Those of an upload still on its way are left to it.
 */
async function removeIfUnwanted(deps: EmbedDeps, message: EmbedChunkMessage, keys: readonly string[]): Promise<void> {
  if (await stillWanted(deps, message)) return;
  await Promise.all(keys.map((Key) => deps.store.client.send(new DeleteObjectCommand({ Bucket: deps.store.bucket, Key }))));
}

/**
 * Asks for the merge when every chunk is done. Called again by redelivered chunk messages, which covers
 * a crash between counting the last chunk and sending; the merge itself is idempotent.
 */
export async function requestMergeIfReady(deps: EmbedDeps, uploadId: string): Promise<boolean> {
  const upload = await findUpload(deps.db, uploadId);
  if (!upload || upload.state !== "merging") return false;
  await requestMerge(deps, upload, upload.split_attempt);
  return true;
}
