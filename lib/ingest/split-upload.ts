import type { SQSClient } from "@aws-sdk/client-sqs";
import type pg from "pg";
import { withTransaction } from "../db/transaction";
import type { EmbedderIdentity } from "../embeddings";
import { isExportFormatError, readExport, type ExportReader, type ExportRecord } from "../exports";
import { log } from "../log";
import type { Store } from "../store/client";
import { headObject } from "../store/objects";
import { s3ByteSource } from "../store/s3-byte-source";
import { objectSha256 } from "../store/streams";
import { findUploadForObject, recordTimings, type UploadRow } from "../uploads/upload-rows";
import { parseUploadKey } from "../vaults/layout";
import { ChunkWriter, type WrittenChunk } from "./chunk-writer";
import { claimExchanges, releaseClaims } from "./claims";
import { enqueueChunks } from "./pipeline-messages";
import type { ObjectCreated } from "./object-events";
import { failUpload, refreshVaultStatus, removeUploadFiles } from "./upload-state";
import { contentHash, toVaultNode } from "./vault-nodes";

export interface SplitDeps {
  db: pg.Pool;
  store: Store;
  sqs: SQSClient;
  embedQueueUrl: string;
  /** The embedder this deployment uses; a vault never mixes vectors of two embedders. */
  embedder: EmbedderIdentity;
  /** Nodes per embed message. */
  chunkSize: number;
}

export type SplitOutcome = "ignored" | "settled" | "busy" | "resumed" | "failed" | "duplicate-file" | "nothing-new" | "split";

/** Exchanges claimed per round trip to Postgres. */
const CLAIM_BATCH = 1000;
const PROGRESS_EVERY_MS = 1000;

/**
 * The ingest queue's work: an object landed under `users/{uuid}/uploads/{upload_id}/`. Checks it against
 * the upload row issued for exactly that user and key (anything else is ignored, unread), then parses
 * the export, skips what the vault already holds, writes the new nodes as chunks and enqueues one embed
 * message per chunk. Idempotent: a redelivered event finds the upload settled or past this phase; a
 * retry after a crash starts a new attempt whose chunks never mix with the crashed one's.
 */
export async function splitUpload(deps: SplitDeps, event: ObjectCreated): Promise<SplitOutcome> {
  const key = parseUploadKey(event.key);
  if (!key || event.bucket !== deps.store.bucket) {
    log.warn("ignored an object outside any upload", { key: event.key, bucket: event.bucket });
    return "ignored";
  }
  const upload = await findUploadForObject(deps.db, { userId: key.userId, uploadId: key.uploadId, objectKey: event.key });
  if (!upload) {
    log.warn("ignored an object without an upload row", { key: event.key });
    return "ignored";
  }
  if (upload.status === "complete" || upload.status === "failed") return "settled";
  if (upload.phase === "embedding" || upload.phase === "merging") {
    // Split finished before; only the enqueueing may be incomplete (a crash right after the commit).
    if (!upload.chunks_enqueued_at) await enqueueAttempt(deps, upload, upload.split_attempt);
    return "resumed";
  }
  return withUploadLock(deps.db, upload.id, () => runSplit(deps, upload));
}

/**
 * One split per upload at a time: a second delivery of the same event while the first is still parsing
 * is dropped (the first one's own message comes back if it crashes). Session advisory locks end with
 * the connection, so a crashed function never leaves one behind.
 */
async function withUploadLock(db: pg.Pool, uploadId: string, work: () => Promise<SplitOutcome>): Promise<SplitOutcome> {
  const lockKey = BigInt.asIntN(64, BigInt(`0x${uploadId.replaceAll("-", "").slice(0, 16)}`)).toString();
  const client = await db.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS locked", [lockKey]);
    if (!rows[0]!.locked) return "busy";
    try {
      return await work();
    } finally {
      await client.query("SELECT pg_advisory_unlock($1::bigint)", [lockKey]);
    }
  } finally {
    client.release();
  }
}

async function runSplit(deps: SplitDeps, upload: UploadRow): Promise<SplitOutcome> {
  const started = Date.now();
  const head = await headObject(deps.store, upload.object_key);
  if (!head) return failed(deps, upload, "The uploaded file could not be found in your vault. Upload it again.");
  if (head.size !== Number(upload.declared_bytes)) {
    return failed(deps, upload, `The file that arrived (${head.size} bytes) is not the size announced (${upload.declared_bytes} bytes). Upload it again.`);
  }
  const mismatch = await embedderMismatch(deps, upload.vault_id);
  if (mismatch) return failed(deps, upload, mismatch);

  const attempt = await startAttempt(deps, upload, head.size);
  if (attempt === undefined) return "settled";
  await refreshVaultStatus(deps.db, upload.vault_id);

  const sha256 = await objectSha256(deps.store, upload.object_key);
  await deps.db.query("UPDATE personal.vault_uploads SET content_sha256 = $2 WHERE id = $1", [upload.id, sha256]);
  if (await completeAsDuplicateFile(deps, upload, sha256)) return "duplicate-file";

  let parsed: ParseResult;
  try {
    parsed = await parseIntoChunks(deps, upload, attempt, head.size);
  } catch (error) {
    if (isExportFormatError(error)) return failed(deps, upload, error.message);
    throw error;
  }
  await recordTimings(deps.db, upload.id, { split_ms: Date.now() - started });
  const chunks = await recordChunks(deps.db, upload, attempt, parsed);
  if (chunks === 0) {
    await refreshVaultStatus(deps.db, upload.vault_id);
    await removeUploadFiles(deps.store, upload, { keepOriginal: true });
    return "nothing-new";
  }
  await enqueueAttempt(deps, upload, attempt);
  log.info("upload split", { uploadId: upload.id, attempt, chunks, exchanges: parsed.reader.summary.exchanges, duplicates: parsed.duplicates });
  return "split";
}

async function failed(deps: SplitDeps, upload: UploadRow, message: string): Promise<"failed"> {
  await failUpload(deps, upload, message);
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
 * Starts a new split attempt; its number names the attempt's chunks. Records the embedder every chunk
 * of the attempt must be embedded with. `undefined` if the upload settled meanwhile.
 */
async function startAttempt(deps: SplitDeps, upload: UploadRow, size: number): Promise<number | undefined> {
  const { rows } = await deps.db.query<{ split_attempt: number }>(
    `UPDATE personal.vault_uploads
        SET status = 'processing', phase = 'parsing', uploaded_bytes = $2, bytes_parsed = 0,
            embedder = $3, embedder_model = $4, embedding_dim = $5,
            processing_started_at = coalesce(processing_started_at, now()),
            split_attempt = split_attempt + 1, chunks_total = 0, chunks_done = 0, chunks_enqueued_at = NULL,
            timings = timings || jsonb_build_object('queued_ms', round(extract(epoch FROM now() - uploaded_at) * 1000))
      WHERE id = $1 AND status IN ('pending', 'processing')
      RETURNING split_attempt`,
    [upload.id, size, deps.embedder.embedder, deps.embedder.model, deps.embedder.dim],
  );
  if (!rows[0]) return undefined;
  await deps.db.query("DELETE FROM personal.upload_chunks WHERE upload_id = $1", [upload.id]);
  return rows[0].split_attempt;
}

/** The same bytes as an upload already merged: nothing to parse or embed. */
async function completeAsDuplicateFile(deps: SplitDeps, upload: UploadRow, sha256: string): Promise<boolean> {
  const { rows } = await deps.db.query<{ id: string; source_type: string; exchanges_found: number; profiles_found: number }>(
    `SELECT id, source_type, exchanges_found, profiles_found FROM personal.vault_uploads
      WHERE vault_id = $1 AND content_sha256 = $2 AND status = 'complete' AND id <> $3
      ORDER BY processing_completed_at LIMIT 1`,
    [upload.vault_id, sha256, upload.id],
  );
  const original = rows[0];
  if (!original) return false;
  await releaseClaims(deps.db, upload.id);
  await deps.db.query(
    `UPDATE personal.vault_uploads
        SET status = 'complete', phase = 'done', progress_pct = 100, duplicate_of = $2, source_type = $3,
            exchanges_found = $4::int, profiles_found = $5::int, nodes_created = 0, nodes_deduplicated = $4::int + $5::int,
            processing_completed_at = now()
      WHERE id = $1 AND status = 'processing'`,
    [upload.id, original.id, original.source_type, original.exchanges_found, original.profiles_found],
  );
  await refreshVaultStatus(deps.db, upload.vault_id);
  // The vault already keeps these exact bytes under the original upload.
  await removeUploadFiles(deps.store, upload, { keepOriginal: false });
  log.info("upload is a file already in the vault", { uploadId: upload.id, duplicateOf: original.id });
  return true;
}

interface ParseResult {
  reader: ExportReader;
  chunks: WrittenChunk[];
  duplicates: number;
}

/** Streams the export out of the store, dedupes it against the vault, and writes the new nodes as chunks. */
async function parseIntoChunks(deps: SplitDeps, upload: UploadRow, attempt: number, size: number): Promise<ParseResult> {
  let bytesRead = 0;
  const source = s3ByteSource(deps.store, upload.object_key, size, {
    name: upload.original_filename ?? "upload",
    onBytes: (count) => (bytesRead += count),
  });
  const reader = readExport(source);
  const writer = new ChunkWriter(deps.store, { vaultPrefix: upload.vault_prefix, uploadId: upload.id, attempt }, deps.chunkSize);
  const seenInFile = new Set<string>();
  let duplicates = 0;
  let batch: Array<{ record: ExportRecord; hash: Buffer }> = [];
  let lastProgress = Date.now();

  const claimBatch = async () => {
    const claimed = await claimExchanges(deps.db, upload.vault_id, upload.id, batch.map((entry) => entry.hash), batch.map((entry) => entry.record.id));
    for (const { record, hash } of batch) {
      if (claimed.has(hash.toString("hex"))) await writer.add(toVaultNode(record, hash, upload.id));
      else duplicates += 1;
    }
    batch = [];
    if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      await deps.db.query("UPDATE personal.vault_uploads SET bytes_parsed = $2, exchanges_found = $3 WHERE id = $1", [
        upload.id,
        Math.min(bytesRead, size),
        reader.summary.exchanges,
      ]);
    }
  };

  for await (const record of reader) {
    const hash = contentHash(record);
    const hex = hash.toString("hex");
    if (seenInFile.has(hex)) {
      duplicates += 1;
      continue;
    }
    seenInFile.add(hex);
    batch.push({ record, hash });
    if (batch.length >= CLAIM_BATCH) await claimBatch();
  }
  await claimBatch();
  return { reader, chunks: await writer.finish(), duplicates };
}

/** Records the attempt's chunks and what the parse found, in one transaction. Returns the chunk count. */
async function recordChunks(db: pg.Pool, upload: UploadRow, attempt: number, parsed: ParseResult): Promise<number> {
  const { summary, format } = parsed.reader;
  const chunks = parsed.chunks;
  await withTransaction(db, async (tx) => {
    if (chunks.length > 0) {
      await tx.query(
        `INSERT INTO personal.upload_chunks (upload_id, attempt, chunk_index, records)
         SELECT $1, $2, i, n FROM unnest($3::int[], $4::int[]) AS t(i, n)`,
        [upload.id, attempt, chunks.map((chunk) => chunk.index), chunks.map((chunk) => chunk.records)],
      );
    }
    const nothingNew = chunks.length === 0;
    await tx.query(
      `UPDATE personal.vault_uploads
          SET source_type = $3, exchanges_found = $4, profiles_found = $5, nodes_deduplicated = $6,
              parse_summary = $7, bytes_parsed = uploaded_bytes, chunks_total = $8,
              phase = CASE WHEN $9 THEN 'done' ELSE 'embedding' END,
              status = CASE WHEN $9 THEN 'complete' ELSE status END,
              progress_pct = CASE WHEN $9 THEN 100 ELSE progress_pct END,
              processing_completed_at = CASE WHEN $9 THEN now() ELSE processing_completed_at END
        WHERE id = $1 AND split_attempt = $2`,
      [upload.id, attempt, format?.source ?? summary.source ?? "unknown", summary.exchanges, summary.profiles, parsed.duplicates, JSON.stringify(summary), chunks.length, nothingNew],
    );
    // Kept without a merge (nothing new in it), the file still takes room in the vault.
    if (nothingNew) {
      await tx.query(
        "UPDATE personal.vaults SET total_bytes = total_bytes + (SELECT coalesce(uploaded_bytes, 0) FROM personal.vault_uploads WHERE id = $2) WHERE id = $1",
        [upload.vault_id, upload.id],
      );
    }
  });
  return chunks.length;
}

/** Sends the attempt's embed messages, then notes on the upload that they are all out. */
async function enqueueAttempt(deps: SplitDeps, upload: UploadRow, attempt: number): Promise<void> {
  await enqueueChunks(deps, upload, attempt);
  await deps.db.query("UPDATE personal.vault_uploads SET chunks_enqueued_at = now() WHERE id = $1 AND split_attempt = $2", [upload.id, attempt]);
}
