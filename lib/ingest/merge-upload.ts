import { PutObjectCommand } from "@aws-sdk/client-s3";
import type pg from "pg";
import { withTransaction } from "../db/transaction";
import type { EmbedderIdentity } from "../embeddings";
import { log } from "../log";
import type { Store } from "../store/client";
import { writeVersionIndexes } from "../search/version-indexes";
import { deletePrefix, putStream } from "../store/streams";
import { findUpload, type UploadRow } from "../uploads/upload-rows";
import { clustersDocument, createClusterAccumulator, type NodeText } from "../vectors/clusters";
import { npyChunks } from "../vectors/npy";
import { versionKeys } from "../vaults/versions";
import { markClaimsMerged } from "./claims";
import type { MergeUploadMessage } from "./messages";
import { failUpload, refreshVaultStatus } from "./upload-state";
import { nodesJsonLines, readChunkNodes, readChunkVectors, readNodeLines, readStoredRows } from "./vault-files";
import { labelText, type VaultNode } from "./vault-nodes";
import { workPrefix } from "./work-files";

export interface MergeDeps {
  db: pg.Pool;
  store: Store;
  /** Vectors kept in memory for the clustering's second pass; above this they are read back from the store. */
  maxVectorBytesInMemory?: number;
}

export type MergeOutcome = "stale" | "already-merged" | "failed" | "merged";

/** Characters of each node kept for cluster labels (labels sample a few per cluster). */
const LABEL_CHARS = 300;

interface VaultVersion {
  id: string;
  prefix: string;
  current_version: number;
  node_count: number;
  embedder_model: string | null;
  embedding_dim: number | null;
}

/**
 * The reduce queue's work (one vault at a time, FIFO grouped by vault): writes version N+1 of the
 * vault — the current nodes.json and nodes.npy with the upload's nodes appended, and clusters
 * recomputed over all vectors — then switches the vault to N+1 in the same transaction that completes
 * the upload. Until that commit the current version is untouched, so a crash anywhere loses nothing
 * and the files readers see always agree; a retry rewrites N+1 from scratch.
 */
export async function mergeUpload(deps: MergeDeps, message: MergeUploadMessage): Promise<MergeOutcome> {
  const upload = await findUpload(deps.db, message.upload_id);
  if (!upload || upload.vault_id !== message.vault_id) return "stale";
  if (upload.status === "complete") {
    await deletePrefix(deps.store, workPrefix(upload.vault_prefix, upload.id));
    return "already-merged";
  }
  if (upload.status !== "processing" || upload.split_attempt !== message.attempt) return "stale";
  if (upload.chunks_done < upload.chunks_total) throw new Error(`merge of ${upload.id} requested with ${upload.chunks_done}/${upload.chunks_total} chunks embedded`);

  // The vectors are the ones the split's embedder made (embed workers refuse any other).
  const embedder: EmbedderIdentity = { embedder: upload.embedder!, model: upload.embedder_model!, dim: upload.embedding_dim! };
  const vault = (await deps.db.query<VaultVersion>("SELECT id, prefix, current_version, node_count, embedder_model, embedding_dim FROM personal.vaults WHERE id = $1", [upload.vault_id])).rows[0]!;
  if (vault.node_count > 0 && (vault.embedder_model !== embedder.model || vault.embedding_dim !== embedder.dim)) {
    await failUpload(deps, upload, `This upload was embedded with ${embedder.model}, but your vault holds ${vault.embedder_model} vectors. Mixing them would make search wrong.`);
    return "failed";
  }

  const started = Date.now();
  const written = await writeVersion(deps, upload, vault, embedder.dim);
  // Search indexes are part of the version: built from its own files before it becomes current.
  await writeVersionIndexes(deps.store, versionKeys(vault.prefix, vault.current_version + 1), embedder);
  const switched = await switchVersion(deps.db, upload, vault, written, embedder, Date.now() - started);
  if (!switched) throw new Error(`vault ${vault.id} moved past version ${vault.current_version} during the merge; retrying`);

  await refreshVaultStatus(deps.db, vault.id);
  await deletePrefix(deps.store, workPrefix(upload.vault_prefix, upload.id));
  // Keep the version just replaced for readers that started before the switch; anything older goes.
  if (vault.current_version > 1) {
    for (const prefix of versionKeys(vault.prefix, vault.current_version - 1).prefixes) await deletePrefix(deps.store, prefix);
  }
  log.info("upload merged", { uploadId: upload.id, vaultId: vault.id, version: vault.current_version + 1, nodes: written.nodeCount, added: written.added });
  return "merged";
}

interface WrittenVersion {
  nodeCount: number;
  added: number;
  bytes: number;
}

async function writeVersion(deps: MergeDeps, upload: UploadRow, vault: VaultVersion, dim: number): Promise<WrittenVersion> {
  const from = vault.current_version > 0 ? versionKeys(vault.prefix, vault.current_version) : undefined;
  const to = versionKeys(vault.prefix, vault.current_version + 1);
  const location = { vaultPrefix: upload.vault_prefix, uploadId: upload.id, attempt: upload.split_attempt };
  const { rows: chunks } = await deps.db.query<{ chunk_index: number; records: number }>(
    "SELECT chunk_index, records FROM personal.upload_chunks WHERE upload_id = $1 AND attempt = $2 ORDER BY chunk_index",
    [upload.id, upload.split_attempt],
  );

  // nodes.json: the current nodes line by line, then each chunk's nodes; label text kept on the way.
  const labels: NodeText[] = [];
  const nodeLines = async function* () {
    if (from) {
      for await (const line of readNodeLines(deps.store, from.nodes)) {
        labels.push(labelText(JSON.parse(line) as VaultNode, LABEL_CHARS));
        yield line;
      }
    }
    for (const chunk of chunks) {
      for (const node of await readChunkNodes(deps.store, location, chunk.chunk_index)) {
        labels.push(labelText(node, LABEL_CHARS));
        yield JSON.stringify(node);
      }
    }
  };

  // nodes.npy: the same order, row for row; the clustering's first pass sees every row on the way.
  const added = chunks.reduce((sum, chunk) => sum + chunk.records, 0);
  const total = vault.node_count + added;
  const pass1 = createClusterAccumulator(dim);
  const kept: Float32Array[] = [];
  let keptBytes = 0;
  const keepLimit = deps.maxVectorBytesInMemory ?? 1024 ** 3;
  const rows = async function* () {
    if (from) {
      for await (const batch of readStoredRows(deps.store, from.vectors)) yield batch.rows;
    }
    for (const chunk of chunks) yield await readChunkVectors(deps.store, location, chunk.chunk_index, { rows: chunk.records, dim });
  };
  const observed = async function* () {
    for await (const block of rows()) {
      pass1.add(block);
      keptBytes += block.byteLength;
      if (keptBytes <= keepLimit) kept.push(block);
      yield block;
    }
  };

  // The two files share nothing but their order, so they are written side by side.
  const [nodesBytes, vectorBytes] = await Promise.all([
    putStream(deps.store, to.nodes, nodesJsonLines(nodeLines()), "application/json"),
    putStream(deps.store, to.vectors, npyChunks(total, dim, observed()), "application/octet-stream"),
  ]);
  if (labels.length !== total) throw new Error(`nodes.json has ${labels.length} nodes but nodes.npy ${total} rows`);

  const pass2 = pass1.fit();
  if (keptBytes <= keepLimit) for (const block of kept) pass2.assign(block);
  else for await (const batch of readStoredRows(deps.store, to.vectors)) pass2.assign(batch.rows);
  kept.length = 0;
  const clusters = JSON.stringify(clustersDocument(pass2.result(), labels, { computedAt: new Date().toISOString() }));
  await deps.store.client.send(new PutObjectCommand({ Bucket: deps.store.bucket, Key: to.clusters, Body: clusters, ContentType: "application/json" }));
  return { nodeCount: total, added, bytes: nodesBytes + vectorBytes + Buffer.byteLength(clusters) };
}

/**
 * The commit point: the vault moves to the new version only if it is still on the version this merge
 * started from, in the same transaction that completes the upload and marks its exchanges merged.
 */
async function switchVersion(db: pg.Pool, upload: UploadRow, vault: VaultVersion, written: WrittenVersion, embedder: EmbedderIdentity, mergeMs: number): Promise<boolean> {
  return withTransaction(db, async (tx) => {
    const { rows: kept } = await tx.query<{ bytes: number }>(
      "SELECT coalesce(sum(uploaded_bytes), 0)::bigint AS bytes FROM personal.vault_uploads WHERE vault_id = $1 AND duplicate_of IS NULL AND (status = 'complete' OR id = $2)",
      [vault.id, upload.id],
    );
    const moved = await tx.query(
      `UPDATE personal.vaults
          SET current_version = current_version + 1, node_count = $3, total_bytes = $4, last_sync_at = now(),
              embedder = $5, embedder_model = $6, embedding_dim = $7, error_message = NULL
        WHERE id = $1 AND current_version = $2`,
      [vault.id, vault.current_version, written.nodeCount, Number(kept[0]!.bytes) + written.bytes, embedder.embedder, embedder.model, embedder.dim],
    );
    if (!moved.rowCount) return false;
    await tx.query(
      `UPDATE personal.vault_uploads
          SET status = 'complete', phase = 'done', progress_pct = 100, nodes_created = $3, processing_completed_at = now(),
              timings = timings || jsonb_build_object('merge_ms', $4::int, 'total_ms', round(extract(epoch FROM now() - uploaded_at) * 1000))
        WHERE id = $1 AND split_attempt = $2 AND status = 'processing'`,
      [upload.id, upload.split_attempt, written.added, mergeMs],
    );
    await markClaimsMerged(tx, upload.id);
    return true;
  });
}
