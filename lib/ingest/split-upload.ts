import { setImmediate as turnOfTheLoop, setTimeout as sleep } from "node:timers/promises";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type pg from "pg";
import { withTransaction } from "../db/transaction";
import type { EmbedderIdentity } from "../embeddings";
import { digestingByteSource, isExportFormatError, readExport, type ExportReader } from "../exports";
import { log } from "../log";
import type { Store } from "../store/client";
import { headObject } from "../store/objects";
import { s3ByteSource } from "../store/s3-byte-source";
import * as lifecycle from "../uploads/lifecycle";
import { findUpload, findUploadForObject, type UploadRow } from "../uploads/upload-rows";
import { parseUploadKey } from "../vaults/layout";
import { ChunkWriter, type WrittenChunk } from "./chunk-writer";
import { claimExchanges, recordDeferrals, releaseClaims } from "./claims";
import type { ObjectCreated } from "./object-events";
import { enqueueChunks, requestMerge, sendEmbedMessages, wakeWaitingMerges } from "./pipeline-messages";
import { failUpload, removeUploadFiles } from "./upload-state";
import { createByteSlab, encodedNodeLine, hashRecord, type HashedRecord } from "./vault-nodes";
import { deletePrefix } from "../store/streams";

export interface SplitDeps {
  db: pg.Pool;
  store: Store;
  sqs: SQSClient;
  embedQueueUrl: string;
  reduceQueueUrl: string;
  /** The embedder this deployment uses; a vault never mixes vectors of two embedders. */
  embedder: EmbedderIdentity;
  /** Nodes per embed message. */
  chunkSize: number;
  /**
   * Seconds an attempt may go without a heartbeat before another delivery takes the upload over
   * (default 30; the heartbeat beats every sixth of it).
   */
  leaseSeconds?: number;
  /** Bytes of the file still to read above which chunks are larger (default 32 MiB, {@link LARGE_CHUNKS_WHILE_LEFT}). */
  largeChunksWhileLeft?: number;
}

export type SplitOutcome = "ignored" | "settled" | "busy" | "resumed" | "failed" | "duplicate-file" | "nothing-new" | "split" | "superseded" | "not-arrived";

/** Exchanges claimed per round trip to Postgres, once the first batches have doubled up to it ({@link startingSmall}). */
const CLAIM_BATCH = 1000;
/** Batches claimed or being written while the parse fills the next one. */
const BATCHES_AHEAD = 2;
const PROGRESS_EVERY_MS = 1000;
/**
 * The parse lets its thread's event loop turn at least this often. Records come out of the reader's
 * buffered bytes through promise jobs alone, which never let the loop reach its I/O, so the answers
 * to the claims, chunk writes and embed messages behind the parse waited until the parse itself had
 * to wait (for bytes, or for the {@link BATCHES_AHEAD} batches in flight): in bench:ingest's split the
 * loop stood still 106 times for more than 60 ms (11 s in all, up to 424 ms at once), and the first
 * chunk reached the embed workers 1.0-1.8 s into the split (0.7-0.9 s with the turns).
 * https://nodejs.org/en/learn/asynchronous-work/event-loop-timers-and-nexttick
 */
const TURN_EVERY_MS = 10;
/**
 * Bytes of the file still to read above which chunks hold {@link LARGE_CHUNK_FACTOR} × `chunkSize`
 * nodes: about 6,000 exchanges of a ChatGPT export (~5 KB each), several seconds of the split.
 */
const LARGE_CHUNKS_WHILE_LEFT = 32 * 1024 * 1024;
/**
 * How many times `chunkSize` nodes a chunk holds while much of the file is left. At the default 256,
 * 2,048 nodes: 8 MiB of 1,024-dimension vectors and ~6 MB of lines, each over S3's 5 MiB part minimum,
 * so the merge has the store copy them into the version instead of reading and sending them
 * (lib/vaults/version-writer.ts).
 */
const LARGE_CHUNK_FACTOR = 8;
const DEFAULT_LEASE_SECONDS = 30;

/**
 * The size of the `index`th (from 0) of a run of claim batches or chunks that start at `first` and
 * double up to `full`. The embed workers have nothing to do until the split's first chunk is out: with
 * full-sized ones from the start (2,048 exchanges, claimed in batches of 1,000), it was embedded
 * 2.3-2.7 s into the split of bench:ingest's 100k-exchange export, and one of a local stack's two cores
 * mostly idled until then; starting at 256 and doubling, 1.3-1.5 s. The chunks after the first few are
 * full-sized, as the merge wants them (the store copies chunks of 5 MiB and more into the version, and
 * the first few MiB of a version are read through anyway to make its first part).
 */
export function startingSmall(first: number, index: number, full: number): number {
  return Math.min(full, first * 2 ** Math.min(index, 30));
}

/**
 * The ingest queue's work: an object landed under `users/{uuid}/uploads/{upload_id}/`. Checks it against
 * the upload row issued for exactly that user and key (anything else is ignored, unread), then parses
 * the export, claims its exchanges, writes them as chunks and enqueues one embed message per chunk.
 *
 * One attempt at a time, without holding a database connection for it: an attempt owns the upload
 * while it beats (a heartbeat touches the row), and a delivery that finds a live attempt waits for it
 * to finish or stop beating, then takes over with a new attempt whose chunks never mix with the old
 * one's; every write of an attempt is guarded by its number. Each query takes a pooled connection and
 * gives it back, so a function with a pool of one connection never waits on itself.
 */
export async function splitUpload(deps: SplitDeps, event: ObjectCreated): Promise<SplitOutcome> {
  const key = parseUploadKey(event.key);
  if (!key || event.bucket !== deps.store.bucket) {
    log.warn("ignored an object outside any upload", { key: event.key, bucket: event.bucket });
    return "ignored";
  }
  const upload = await findUploadForObject(deps.db, { userId: key.userId, uploadId: key.uploadId, objectKey: event.key });
  if (!upload) {
    const { rows } = await deps.db.query("SELECT 1 FROM personal.vault_uploads WHERE id = $1", [key.uploadId]);
    if (rows.length === 0) {
      // No row names this upload any more: its vault was emptied after the upload link was issued, and
      // the file, sent late, is nobody's to keep (lib/vaults/empty-vault.ts).
      await deletePrefix(deps.store, event.key);
      // The webhook's record of its event names the file too; a redelivery would only delete it again.
      await deps.db.query("DELETE FROM personal.store_events WHERE object_key = $1", [event.key]);
      log.warn("deleted a file sent for an upload that no longer exists", { key: event.key });
      return "ignored";
    }
    log.warn("ignored an object without an upload row", { key: event.key });
    return "ignored";
  }
  const settledOrResumed = await pastParsing(deps, upload);
  if (settledOrResumed) return settledOrResumed;

  const head = await headObject(deps.store, upload.object_key);
  if (!head && upload.state === "awaiting_upload") {
    // An event ahead of its file (replayed, forged, or sent before the upload finished): the upload
    // keeps waiting. The file's own event starts it, and the sweeper re-drives it if that event is
    // lost, or fails it once its upload links have expired.
    log.warn("object-created event for a file not in the store yet; the upload keeps waiting", { uploadId: upload.id });
    return "not-arrived";
  }
  if (!head) return failed(deps, upload, "The uploaded file could not be found in your vault. Upload it again.");
  if (head.size !== Number(upload.declared_bytes)) {
    return failed(deps, upload, `The file that arrived (${head.size} bytes) is not the size announced (${upload.declared_bytes} bytes). Upload it again.`);
  }
  const mismatch = await embedderMismatch(deps, upload.vault_id);
  if (mismatch) return failed(deps, upload, mismatch);

  const leaseSeconds = deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const deadline = Date.now() + 2 * leaseSeconds * 1000;
  for (;;) {
    const attempt = await lifecycle.startSplit(deps.db, upload.id, { size: head.size, embedder: deps.embedder, leaseSeconds });
    if (attempt !== undefined) return withHeartbeat(deps, upload.id, attempt, leaseSeconds, () => runSplit(deps, upload, attempt, head.size));
    const now = await findUpload(deps.db, upload.id);
    const moved = now && (await pastParsing(deps, now));
    if (moved) return moved;
    // Another attempt is alive: it carries its own message. Wait a lease for it to finish or die.
    if (Date.now() > deadline) return "busy";
    await sleep(Math.min(2000, (leaseSeconds * 1000) / 4));
  }
}

/** Settled, or split already (only the announcing may be incomplete, after a crash right after the commit). */
async function pastParsing(deps: SplitDeps, upload: UploadRow): Promise<SplitOutcome | undefined> {
  if (upload.state === "complete" || upload.state === "failed") return "settled";
  if (upload.state === "embedding" || upload.state === "merging") {
    if (!upload.chunks_enqueued_at) await announceSplit(deps, upload, upload.split_attempt, upload.state, "every pending chunk");
    return "resumed";
  }
  return undefined;
}

async function withHeartbeat<T>(deps: SplitDeps, uploadId: string, attempt: number, leaseSeconds: number, work: () => Promise<T>): Promise<T> {
  const beat = setInterval(
    () => void lifecycle.recordParseProgress(deps.db, uploadId, attempt).catch((error) => log.warn("split heartbeat failed", { uploadId, error: (error as Error).message })),
    (leaseSeconds * 1000) / 6,
  );
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

/**
 * Reads the upload once: the parse's own reads also fingerprint the file, so a re-upload of a file the
 * vault already holds is recognised after its (cheap) parse, whose claims all find the exchanges merged
 * and write nothing, instead of by hashing the whole file first, which read every upload twice and
 * downloaded a zip whole just to hash it.
 *
 * Each chunk is announced to the embed workers as soon as it is recorded, so embedding runs alongside
 * the parse; only when a completed upload of the vault has the same size (a re-upload, perhaps) are the
 * announcements held until the fingerprint has ruled the duplicate out, so as not to embed a file twice.
 */
async function runSplit(deps: SplitDeps, upload: UploadRow, attempt: number, size: number): Promise<SplitOutcome> {
  const started = Date.now();
  const announceEarly = upload.include_forgotten || !(await sameSizeFileCompleted(deps.db, upload, size));
  let parsed: ParseResult;
  try {
    parsed = await parseIntoChunks(deps, upload, attempt, size, announceEarly);
  } catch (error) {
    if (isExportFormatError(error)) return failed(deps, upload, error.message);
    if (error instanceof SplitSuperseded) return "superseded";
    throw error;
  }
  await lifecycle.recordTimings(deps.db, upload.id, { split_ms: Date.now() - started });
  if (parsed.digest !== null) {
    await lifecycle.recordContentHash(deps.db, upload.id, attempt, parsed.digest);
    // Bringing forgotten memories back means storing what the parse claimed, even from a file the vault has seen.
    if (!upload.include_forgotten && (await completeAsDuplicateFile(deps, upload, attempt, parsed.digest))) return "duplicate-file";
  }
  const state = await recordSplit(deps.db, upload, attempt, parsed);
  if (!state) return "superseded";
  if (state === "complete") {
    await removeUploadFiles(deps.store, upload, { keepOriginal: true });
    return "nothing-new";
  }
  await announceSplit(deps, upload, attempt, state, announceEarly ? [] : Array.from({ length: parsed.chunks }, (_, index) => index));
  log.info("upload split", { uploadId: upload.id, attempt, chunks: parsed.chunks, exchanges: parsed.reader.summary.exchanges, duplicates: parsed.duplicates, deferred: parsed.deferred });
  return "split";
}

/** A newer attempt took the upload over (or it settled) while this one was writing chunks. */
class SplitSuperseded extends Error {}

/** Whether a completed upload of the vault has `size` bytes: the one case where this file may be a duplicate. */
async function sameSizeFileCompleted(db: pg.Pool, upload: UploadRow, size: number): Promise<boolean> {
  const { rows } = await db.query(
    "SELECT 1 FROM personal.vault_uploads WHERE vault_id = $1 AND id <> $2 AND state = 'complete' AND uploaded_bytes = $3 LIMIT 1",
    [upload.vault_id, upload.id, size],
  );
  return rows.length > 0;
}

async function failed(deps: SplitDeps, upload: UploadRow, message: string): Promise<"failed"> {
  await failUpload(deps, upload, message, ["awaiting_upload", "parsing"]);
  return "failed";
}

/** Vectors of two embedders cannot be searched together: refuse rather than mix them in one vault. */
async function embedderMismatch(deps: SplitDeps, vaultId: string): Promise<string | undefined> {
  const { rows } = await deps.db.query<{ embedder_model: string | null; embedding_dim: number | null; node_count: number }>(
    "SELECT embedder_model, embedding_dim, node_count FROM personal.vaults WHERE id = $1",
    [vaultId],
  );
  const vault = rows[0];
  if (!vault?.embedder_model || vault.node_count === 0) return undefined;
  if (vault.embedder_model === deps.embedder.model && vault.embedding_dim === deps.embedder.dim) return undefined;
  return `Your vault's memories were embedded with ${vault.embedder_model} (${vault.embedding_dim} dimensions), but this service now embeds with ${deps.embedder.model} (${deps.embedder.dim}). Mixing them would make search wrong, so this upload was not processed.`;
}

/**
 * The same bytes as an upload already complete: nothing to embed or merge. A completed upload's
 * memories are all in the vault (it stored them, or they were there already), so this is safe.
 */
async function completeAsDuplicateFile(deps: SplitDeps, upload: UploadRow, attempt: number, digest: string): Promise<boolean> {
  const { rows } = await deps.db.query<{ id: string; source_type: string; exchanges_found: number; profiles_found: number }>(
    `SELECT id, source_type, exchanges_found, profiles_found FROM personal.vault_uploads
      WHERE vault_id = $1 AND content_sha256 = $2 AND state = 'complete' AND id <> $3 AND duplicate_of IS NULL
        -- Memories the person allowed back since (a restored forget) are not in the vault: read the file again.
        AND processing_completed_at > coalesce((SELECT max(restored_at) FROM personal.vault_forgets WHERE vault_id = $1), '-infinity')
      ORDER BY processing_completed_at LIMIT 1`,
    [upload.vault_id, digest, upload.id],
  );
  const original = rows[0];
  if (!original) return false;
  const completed = await withTransaction(deps.db, async (tx) => {
    // What this upload claimed (exchanges no longer in the vault) or deferred is given back: the
    // original's memories are the vault's, as for any duplicate.
    await releaseClaims(tx, upload.id);
    return lifecycle.completeAsDuplicateFile(tx, upload.id, attempt, original);
  });
  if (!completed) return false;
  // The vault already keeps these exact bytes under the original upload; the chunks written (if any) go too.
  await removeUploadFiles(deps.store, upload, { keepOriginal: false });
  log.info("upload is a file already in the vault", { uploadId: upload.id, duplicateOf: original.id });
  return true;
}

interface ParseResult {
  reader: ExportReader;
  /** Chunks written and recorded. */
  chunks: number;
  duplicates: number;
  deferred: number;
  /** The upload's fingerprint, from the parse's own reads (see {@link digestingByteSource}). */
  digest: string | null;
}

/**
 * Streams the export out of the store, claims its exchanges, and writes as chunks every exchange the
 * vault does not hold yet: the ones this upload claimed, and the ones another unsettled upload holds
 * (deferred; embedded only if this upload ends up holding them, see the embed worker and the merge).
 * Each chunk is recorded, with its deferrals, as soon as its file is stored ({@link recordChunk}).
 *
 * The claims of one batch of exchanges go to Postgres while the parse reads the next batch and the
 * chunks of the batch before are written: batches are claimed one at a time and written one at a time,
 * in order, so chunks hold the exchanges in the file's order.
 */
async function parseIntoChunks(deps: SplitDeps, upload: UploadRow, attempt: number, size: number, announce: boolean): Promise<ParseResult> {
  let bytesRead = 0;
  const fingerprinted = digestingByteSource(
    s3ByteSource(deps.store, upload.object_key, size, {
      name: upload.original_filename ?? "upload",
      onBytes: (count) => (bytesRead += count),
    }),
  );
  const reader = readExport(fingerprinted.source);
  // Bytes the reader had left when it filled the batch being written (the writer lags the parse).
  let leftAtBatch = size;
  const largeWhileLeft = deps.largeChunksWhileLeft ?? LARGE_CHUNKS_WHILE_LEFT;
  // Larger chunks while much of the file is left: fewer chunks to store, record, announce and read
  // back (per-chunk round trips), the same embedding work. The last chunks keep the chunk size, so
  // what is left to embed once the split ends (the chunks still in flight) stays as short as before,
  // and an upload that is small altogether is cut exactly as before. The first chunks grow to that
  // size, doubling from the chunk size ({@link startingSmall}), so that embedding starts early.
  let chunksStarted = 0;
  const chunkSize = () => (leftAtBatch > largeWhileLeft ? startingSmall(deps.chunkSize, chunksStarted++, LARGE_CHUNK_FACTOR * deps.chunkSize) : deps.chunkSize);
  const writer = new ChunkWriter(deps.store, { vaultPrefix: upload.vault_prefix, uploadId: upload.id, attempt }, chunkSize, (chunk) => recordChunk(deps, upload, attempt, chunk, announce));
  const seenInFile = new Set<string>();
  // The texts' and lines' bytes, written into shared blocks instead of a buffer each.
  const slab = createByteSlab();
  let duplicates = 0;
  let deferred = 0;
  let batch: HashedRecord[] = [];
  let lastProgress = Date.now();

  const write = async (entries: typeof batch, outcomes: Awaited<ReturnType<typeof claimExchanges>>, left: number) => {
    leftAtBatch = left;
    for (const [index, hashed] of entries.entries()) {
      const outcome = outcomes[index];
      if (outcome === "merged") {
        duplicates += 1;
        continue;
      }
      if (outcome === "held") deferred += 1;
      await writer.add(encodedNodeLine(hashed, upload.id, slab), outcome === "held" ? { hash: hashed.hash, recordId: hashed.record.id } : undefined);
    }
    if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      await lifecycle.recordParseProgress(deps.db, upload.id, attempt, { bytesParsed: Math.min(bytesRead, size), exchangesFound: reader.summary.exchanges });
    }
  };
  // Claims go to Postgres one batch after the other, each as soon as the parse has filled it; a batch's
  // nodes go to the writer once its claims are back and the batch before it is written. So the claims of
  // one batch run while the chunks of the one before are stored (their hashes are disjoint: the file is
  // deduplicated first). A failure stops the batches after it and surfaces when awaited.
  let claiming: Promise<unknown> = Promise.resolve();
  let written: Promise<void> = Promise.resolve();
  const ahead: Promise<void>[] = [];
  let batchesTaken = 0;
  const takeBatch = async () => {
    batchesTaken += 1;
    // At most BATCHES_AHEAD batches claimed or written behind the parse: memory stays a few batches.
    while (ahead.length >= BATCHES_AHEAD) await ahead.shift();
    const entries = batch;
    const left = size - Math.min(bytesRead, size);
    batch = [];
    const claimed = claiming.then(() =>
      claimExchanges(deps.db, upload.vault_id, upload.id, entries.map((entry) => entry.hash), entries.map((entry) => entry.record.id), {
        includeForgotten: upload.include_forgotten,
      }),
    );
    claiming = claimed;
    // Settles only once the batches before it and its own claims have: awaiting the last batch awaits all.
    written = Promise.allSettled([written, claimed]).then(([before, claims]) => {
      if (before.status === "rejected") throw before.reason;
      if (claims.status === "rejected") throw claims.reason;
      return write(entries, claims.value, left);
    });
    written.catch(() => undefined);
    ahead.push(written);
  };

  let turnAt = performance.now() + TURN_EVERY_MS;
  try {
    for await (const record of reader) {
      if (performance.now() >= turnAt) {
        await turnOfTheLoop();
        turnAt = performance.now() + TURN_EVERY_MS;
      }
      // The hash and the JSON of the texts its line is made of, in one pass over them.
      const hashed = hashRecord(record, slab);
      if (seenInFile.has(hashed.hex)) {
        duplicates += 1;
        continue;
      }
      seenInFile.add(hashed.hex);
      batch.push(hashed);
      if (batch.length >= startingSmall(deps.chunkSize, batchesTaken, CLAIM_BATCH)) await takeBatch();
    }
    await takeBatch();
    await written;
    return { reader, chunks: await writer.finish(), duplicates, deferred, digest: fingerprinted.digest() };
  } catch (error) {
    // Nothing of this attempt may still be claiming or recording when the upload is failed (which gives
    // its claims back) or retried. Claims and chunks lag behind the parse, so their failure, about
    // records read earlier, is the one reported.
    const behind = await written.then(() => undefined, (failure: unknown) => failure);
    const writing = await writer.settle();
    throw behind ?? writing ?? error;
  }
}

/**
 * Records one stored chunk and its deferrals, then (when `announce`) sends its embed
 * message: an embed worker may take it while the split goes on. Throws {@link SplitSuperseded} if the
 * attempt no longer owns the upload (its chunk is not recorded then).
 */
async function recordChunk(deps: SplitDeps, upload: UploadRow, attempt: number, chunk: WrittenChunk, announce: boolean): Promise<void> {
  // Deferrals first, so they are there when a worker reads the chunk; a superseded attempt's are never
  // read (every reader names the upload's current attempt) and go with the upload's claims.
  await recordDeferrals(deps.db, upload, attempt, chunk.deferrals.map((entry) => ({ ...entry, chunkIndex: chunk.index })));
  if (!(await lifecycle.recordSplitChunk(deps.db, upload.id, attempt, chunk))) throw new SplitSuperseded();
  if (announce) await sendEmbedMessages(deps, upload, attempt, [chunk.index]);
}

/**
 * Records what the parse found and ends the attempt's parsing, in one transaction: the upload moves to
 * `embedding`, to `merging` if every chunk was embedded meanwhile, or to `complete` if nothing was new.
 * `undefined` if a newer attempt took the upload over meanwhile (then nothing is recorded).
 */
async function recordSplit(db: pg.Pool, upload: UploadRow, attempt: number, parsed: ParseResult) {
  const { summary, format } = parsed.reader;
  return withTransaction(db, async (tx) => {
    const state = await lifecycle.finishSplit(tx, upload.id, attempt, {
      source: format?.source ?? summary.source ?? "unknown",
      exchanges: summary.exchanges,
      profiles: summary.profiles,
      duplicates: parsed.duplicates,
      summary,
      chunks: parsed.chunks,
    });
    if (state === "complete") {
      // Kept without a merge (nothing new in it), the file still takes room in the vault.
      await tx.query(
        "UPDATE personal.vaults SET total_bytes = total_bytes + (SELECT coalesce(uploaded_bytes, 0) FROM personal.vault_uploads WHERE id = $2) WHERE id = $1",
        [upload.vault_id, upload.id],
      );
    }
    return state;
  });
}

/**
 * After the split's commit: sends the embed messages not sent yet (`chunks`, or every chunk still
 * pending after a crash), or, when every chunk was embedded during the split, asks for the merge and
 * wakes the vault's waiting merges, as the last embed worker would have. Then notes it on the upload.
 * Safe to repeat: chunks are counted once, and the merge is idempotent.
 */
async function announceSplit(deps: SplitDeps, upload: UploadRow, attempt: number, state: "embedding" | "merging", chunks: readonly number[] | "every pending chunk"): Promise<void> {
  if (state === "merging") {
    await requestMerge(deps, upload, attempt);
    await wakeWaitingMerges(deps, upload.vault_id, upload.id);
  } else if (chunks === "every pending chunk") await enqueueChunks(deps, upload, attempt);
  else await sendEmbedMessages(deps, upload, attempt, chunks);
  await lifecycle.markChunksEnqueued(deps.db, upload.id, attempt);
}
