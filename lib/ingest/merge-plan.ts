import type pg from "pg";
import { withTransaction } from "../db/transaction";
import type { Store } from "../store/client";
import * as lifecycle from "../uploads/lifecycle";
import type { UploadRow } from "../uploads/upload-rows";
import { heldBy } from "./claims";
import { readChunkNodes, readChunkVectors } from "./vault-files";

/**
 * What one merge stores, decided when it runs, one vault at a time (the reduce queue is FIFO grouped
 * by vault), from the claims as they stand then. This is where the rule "an exchange counts as a
 * duplicate only of memories that are in the vault, or will be" is kept:
 *
 * - the exchanges this upload holds are stored by it;
 * - each exchange it deferred to another upload (held by that upload when this one was split) is
 *   - in the vault already (its holder merged it): a duplicate;
 *   - held by an upload still parsing or embedding: this merge **waits** (stores nothing, completes
 *     nothing) and is asked again when that upload finishes embedding or settles;
 *   - held by an upload that has finished embedding (waiting to merge, or waiting itself): **adopted**,
 *     stored by this merge with the vector that upload computed, and the claim moves here, so each
 *     exchange is still embedded once. Adoption is what keeps two uploads that deferred to each other
 *     from waiting for ever: a merge waits only on uploads that are still embedding, and those never wait;
 *   - held by nobody (its holder failed and let go): **taken over**, claimed by this upload, whose
 *     chunks carrying it are embedded again before it merges.
 *
 * Whatever interleaving of uploads, failures, crashes and retries happens, every exchange of a completed
 * upload is therefore in the vault; an upload completes only through the version switch that stores or
 * verifies what it needs, and a failed one gives its claims back in the transaction that fails it.
 */
export type MergePlan =
  | { kind: "wait"; on: string[] }
  | { kind: "reopened"; chunks: number[] }
  | { kind: "store"; held: Set<string>; adopted: Map<string, AdoptedFrom>; adoptedVectors: Map<string, Float32Array> };

export interface AdoptedFrom {
  /** The holder upload, and the hashes (hex) taken from it. */
  holder: UploadRow | { id: string; vault_prefix: string; split_attempt: number };
  hashes: Set<string>;
}

interface DeferralRow {
  chunk_index: number;
  content_hash: Buffer;
  record_id: string;
  holder: string | null;
  claim_state: "claimed" | "merged" | "forgotten" | null;
  holder_state: lifecycle.UploadState | null;
  holder_attempt: number | null;
  holder_prefix: string | null;
}

export async function planMerge(deps: { db: pg.Pool; store: Store; dim: number }, upload: UploadRow): Promise<MergePlan> {
  // What the upload holds is asked for with its deferrals: it is needed unless the merge waits or takes
  // exchanges over, and it is the longer read (a row per exchange). The two run at once where the pool
  // has a second connection (a local stack's thread has 10); the deployed merge function's pool has one
  // (functions/manifest.ts, DEFAULT_DB_POOL_SIZE), so there they run one after the other.
  const holding = heldBy(deps.db, upload.vault_id, upload.id);
  holding.catch(() => undefined);
  const { rows } = await deps.db.query<DeferralRow>(
    `SELECT d.chunk_index, d.content_hash, d.record_id, e.upload_id AS holder, e.state AS claim_state,
            h.state AS holder_state, h.split_attempt AS holder_attempt, v.prefix AS holder_prefix
       FROM personal.upload_deferrals d
       LEFT JOIN personal.vault_exchanges e ON e.vault_id = d.vault_id AND e.content_hash = d.content_hash
       LEFT JOIN personal.vault_uploads h ON h.id = e.upload_id
       LEFT JOIN personal.vaults v ON v.id = h.vault_id
      WHERE d.upload_id = $1 AND d.attempt = $2`,
    [upload.id, upload.split_attempt],
  );
  const waitOn = new Set<string>();
  const orphans: DeferralRow[] = [];
  const adopted = new Map<string, AdoptedFrom>();
  for (const row of rows) {
    // Merged by its holder, or merged and since forgotten by the person: either way not this upload's to store.
    if (row.claim_state === "merged" || row.claim_state === "forgotten" || row.holder === upload.id) continue;
    if (!row.holder) orphans.push(row);
    else if (row.holder_state === "merging") {
      const entry = adopted.get(row.holder) ?? { holder: { id: row.holder, vault_prefix: row.holder_prefix!, split_attempt: row.holder_attempt! }, hashes: new Set<string>() };
      entry.hashes.add(row.content_hash.toString("hex"));
      adopted.set(row.holder, entry);
    } else waitOn.add(row.holder);
  }
  if (orphans.length > 0) {
    const chunks = await takeOver(deps.db, upload, orphans);
    return chunks.length > 0 ? { kind: "reopened", chunks } : { kind: "wait", on: [] };
  }
  if (waitOn.size > 0) return { kind: "wait", on: [...waitOn] };
  const held = await holding;
  const adoptedVectors = new Map<string, Float32Array>();
  for (const entry of adopted.values()) await readAdoptedVectors(deps.store, entry, deps.dim, adoptedVectors);
  return { kind: "store", held, adopted, adoptedVectors };
}

/**
 * Claims the exchanges a failed upload let go and sends the chunks carrying them back to embedding, in
 * one transaction (a chunk must never count as embedded while it lacks a vector this upload holds).
 * Returns the chunks reopened; none if another upload claimed them first (then this merge waits).
 */
async function takeOver(db: pg.Pool, upload: UploadRow, orphans: DeferralRow[]): Promise<number[]> {
  return withTransaction(db, async (tx) => {
    const { rows } = await tx.query<{ content_hash: Buffer }>(
      `INSERT INTO personal.vault_exchanges (vault_id, content_hash, record_id, upload_id)
       SELECT $1, h, r, $2 FROM unnest($3::bytea[], $4::text[]) AS t(h, r)
       ON CONFLICT (vault_id, content_hash) DO NOTHING RETURNING content_hash`,
      [upload.vault_id, upload.id, orphans.map((row) => row.content_hash), orphans.map((row) => row.record_id)],
    );
    const claimed = new Set(rows.map((row) => row.content_hash.toString("hex")));
    const chunks = [...new Set(orphans.filter((row) => claimed.has(row.content_hash.toString("hex"))).map((row) => row.chunk_index))].sort((a, b) => a - b);
    if (chunks.length === 0) return [];
    const reopened = await tx.query(
      "UPDATE personal.upload_chunks SET state = 'pending', done_at = NULL WHERE upload_id = $1 AND attempt = $2 AND chunk_index = ANY($3::int[]) AND state = 'done'",
      [upload.id, upload.split_attempt, chunks],
    );
    if (!(await lifecycle.reopenChunks(tx, upload.id, upload.split_attempt, reopened.rowCount ?? 0))) {
      throw new Error(`upload ${upload.id} left merging while taking over exchanges`);
    }
    return chunks;
  });
}

/** The vectors the holder computed for the adopted hashes, found by reading its chunks in order. */
async function readAdoptedVectors(store: Store, entry: AdoptedFrom, dim: number, into: Map<string, Float32Array>): Promise<void> {
  const location = { vaultPrefix: entry.holder.vault_prefix, uploadId: entry.holder.id, attempt: entry.holder.split_attempt };
  let missing = entry.hashes.size;
  for (let chunk = 0; missing > 0; chunk += 1) {
    const nodes = await readChunkNodes(store, location, chunk);
    const rows = nodes.flatMap((node, row) => (entry.hashes.has(node.hash) ? [{ hash: node.hash, row }] : []));
    if (rows.length === 0) continue;
    const vectors = await readChunkVectors(store, location, chunk, { rows: nodes.length, dim });
    for (const { hash, row } of rows) into.set(hash, vectors.slice(row * dim, (row + 1) * dim));
    missing -= rows.length;
  }
}
