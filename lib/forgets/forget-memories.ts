import type pg from "pg";
import { withTransaction } from "../db/transaction";
import { forgetCitedMemories } from "../chat/history";
import type { EmbedderIdentity } from "../embeddings";
import { readNodeLines, readStoredRows } from "../ingest/vault-files";
import type { VaultNode } from "../ingest/vault-nodes";
import { log } from "../log";
import type { Store } from "../store/client";
import { deletePrefix } from "../store/streams";
import { buildGraphsAfterSwitch, retireOlderVersions } from "../vaults/after-switch";
import { writeWholeVersion, type AppendedVersion, type RowBlock } from "../vaults/version-writer";
import { versionKeys } from "../vaults/versions";
import * as forgets from "./lifecycle";
import type { ForgetMessage } from "./messages";

export interface ForgetDeps {
  db: pg.Pool;
  store: Store;
  /** Vectors kept in memory for the clustering's second pass (default 0: read back from the store). */
  maxVectorBytesInMemory?: number;
}

export type ForgetOutcome = "stale" | "settled" | "nothing-to-forget" | "forgotten";

interface ForgetJob extends forgets.ForgetRow {
  prefix: string;
  current_version: number;
  node_count: number;
  embedder: EmbedderIdentity["embedder"] | null;
  embedder_model: string | null;
  embedding_dim: number | null;
}

/** Rows handed to the version writer at a time (as many as nodes.npy is read in). */
const BLOCK_ROWS = 2048;

/**
 * The reduce queue's other work (FIFO by vault, so never beside a merge of the same vault): writes
 * version N+1 of the vault without the forget's memories and switches to it, guarded like a merge's
 * switch, in the transaction that turns their dedupe rows into tombstones and completes the forget.
 * Until the commit the current version is untouched, so a crash loses nothing; a retry starts again
 * from the version then current.
 *
 * Leaving rows out moves every later row, so nothing of version N can be reused as it is (a merge
 * only appends, and copies N's bytes in the store): the whole vault is read through this function —
 * nodes.json three times (to find the rows, to write N+1, for the topic labels) and nodes.npy twice —
 * streamed, in memory bounded by a block of rows and one search segment. Forgets are rare; the cost is
 * measured by `npm run bench:forget`.
 *
 * After the commit the exports the person uploaded are deleted (they hold the forgotten text, and no
 * reader needs them once processed), then the versions and segments before N, as after a merge. N
 * itself still holds the forgotten memories, for readers already on it, until the sweeper's grace
 * period has passed (lib/vaults/sweep-versions.ts).
 */
export async function forgetMemories(deps: ForgetDeps, message: ForgetMessage): Promise<ForgetOutcome> {
  const { rows } = await deps.db.query<ForgetJob>(
    `SELECT f.*, v.prefix, v.current_version, v.node_count, v.embedder, v.embedder_model, v.embedding_dim
       FROM personal.vault_forgets f JOIN personal.vaults v ON v.id = f.vault_id WHERE f.id = $1`,
    [message.forget_id],
  );
  const job = rows[0];
  if (!job || job.vault_id !== message.vault_id) return "stale";
  if (job.state !== "pending") {
    // A redelivery after the commit: finish what the run that committed may not have.
    if (job.state === "complete") await deleteRemovedExports(deps, job.id);
    return "settled";
  }

  const started = Date.now();
  const from = versionKeys(job.prefix, job.current_version);
  const matched = job.current_version > 0 && job.node_count > 0 ? await matchingRows(deps.store, from.nodes, matcher(job)) : { rows: new Set<number>(), hashes: [], ids: [] };
  if (matched.rows.size === 0) {
    await forgets.complete(deps.db, job.id, { memories: 0, version: null });
    return "nothing-to-forget";
  }

  const embedder: EmbedderIdentity = { embedder: job.embedder!, model: job.embedder_model!, dim: job.embedding_dim! };
  const written = await writeWholeVersion(deps.store, {
    prefix: job.prefix,
    version: job.current_version + 1,
    rows: job.node_count - matched.rows.size,
    embedder,
    blocks: keptRows(deps.store, from, job.node_count, embedder.dim, matched.rows),
    maxVectorBytesInMemory: deps.maxVectorBytesInMemory ?? 0,
  });
  if (!(await switchToForgotten(deps.db, job, written, embedder, matched))) {
    throw new Error(`vault ${job.vault_id} moved past version ${job.current_version} during forget ${job.id}; retrying`);
  }

  await deleteRemovedExports(deps, job.id);
  await retireOlderVersions(deps.store, job.prefix, job.current_version);
  await buildGraphsAfterSwitch(deps.store, versionKeys(job.prefix, written.version), written.search);
  log.info("memories forgotten", {
    forgetId: job.id,
    vaultId: job.vault_id,
    kind: job.kind,
    memories: matched.rows.size,
    version: written.version,
    nodes: written.nodeCount,
    ms: Date.now() - started,
    ...written.timings,
  });
  return "forgotten";
}

function matcher(job: ForgetJob): (node: VaultNode) => boolean {
  switch (job.kind) {
    case "memory":
      return (node) => node.id === job.target;
    case "conversation":
      return (node) => node.kind === "exchange" && node.conversation_id === job.target;
    case "upload":
      return (node) => node.upload_id === job.target;
  }
}

/** The rows of a version's nodes.json that `matches`, and their dedupe hashes (one streamed pass). */
export async function matchingRows(store: Store, nodesKey: string, matches: (node: VaultNode) => boolean): Promise<{ rows: Set<number>; hashes: Buffer[]; ids: string[] }> {
  const rows = new Set<number>();
  const hashes: Buffer[] = [];
  const ids: string[] = [];
  let row = 0;
  for await (const line of readNodeLines(store, nodesKey)) {
    const node = JSON.parse(line) as VaultNode;
    if (matches(node)) {
      rows.add(row);
      hashes.push(Buffer.from(node.hash, "hex"));
      ids.push(node.id);
    }
    row++;
  }
  return { rows, hashes, ids };
}

/**
 * The version's rows without `drop`, in order, as blocks for the version writer: nodes.json and
 * nodes.npy are read side by side, one batch of vectors and its lines at a time.
 */
export async function* keptRows(store: Store, keys: ReturnType<typeof versionKeys>, nodeCount: number, dim: number, drop: ReadonlySet<number>): AsyncGenerator<RowBlock> {
  const lines = readNodeLines(store, keys.nodes)[Symbol.asyncIterator]();
  let row = 0;
  try {
    for await (const batch of readStoredRows(store, keys.vectors)) {
      if (batch.dim !== dim) throw new Error(`${keys.vectors} holds vectors of ${batch.dim} dimensions, the vault ${dim}`);
      const nodes: VaultNode[] = [];
      const vectors = new Float32Array(Math.min(batch.count, BLOCK_ROWS) * dim);
      for (let i = 0; i < batch.count; i++, row++) {
        const line = await lines.next();
        if (line.done) throw new Error(`${keys.nodes} ends before row ${row} of ${keys.vectors}`);
        if (drop.has(row)) continue;
        vectors.set(batch.rows.subarray(i * dim, (i + 1) * dim), nodes.length * dim);
        nodes.push(JSON.parse(line.value) as VaultNode);
      }
      if (nodes.length > 0) yield { nodes, vectors: vectors.slice(0, nodes.length * dim) };
    }
    if (row !== nodeCount || !(await lines.next()).done) throw new Error(`${keys.nodes} and ${keys.vectors} do not both hold the vault's ${nodeCount} rows`);
  } finally {
    await lines.return?.(undefined);
  }
}

/**
 * The commit point: the vault moves to the written version only if it is still on the version the
 * forget read (a merge can not run beside it, but a redelivered message could), the exchanges become
 * tombstones, the exports (which may hold them) leave the vault and its size, past chat answers stop
 * citing them, and the forget completes — all or nothing.
 */
async function switchToForgotten(db: pg.Pool, job: ForgetJob, written: AppendedVersion, embedder: EmbedderIdentity, forgotten: { hashes: Buffer[]; ids: string[] }): Promise<boolean> {
  return withTransaction(db, async (tx) => {
    // Every kept export leaves with this forget, so the vault's size is the new version's files.
    const moved = await tx.query(
      `UPDATE personal.vaults
          SET current_version = $3, node_count = $4, total_bytes = $8, last_sync_at = now(), error_message = NULL,
              embedder = $5, embedder_model = $6, embedding_dim = $7
        WHERE id = $1 AND current_version = $2`,
      [job.vault_id, job.current_version, written.version, written.nodeCount, embedder.embedder, embedder.model, embedder.dim, written.bytes],
    );
    if (!moved.rowCount) return false;
    await tx.query("UPDATE personal.vault_uploads SET original_removed_by = $2 WHERE vault_id = $1 AND state = 'complete' AND original_removed_by IS NULL", [job.vault_id, job.id]);
    await tx.query("UPDATE personal.vault_exchanges SET state = 'forgotten', forget_id = $3 WHERE vault_id = $1 AND content_hash = ANY($2::bytea[]) AND state = 'merged'", [
      job.vault_id,
      forgotten.hashes,
      job.id,
    ]);
    await forgetCitedMemories(tx, job.vault_id, forgotten.ids);
    if (!(await forgets.complete(tx, job.id, { memories: forgotten.ids.length, version: written.version }))) throw new Error(`forget ${job.id} settled during its run`);
    return true;
  });
}

/** The export files this forget took out of the vault; deleting them again is harmless. */
async function deleteRemovedExports(deps: ForgetDeps, forgetId: string): Promise<void> {
  const { rows } = await deps.db.query<{ object_key: string }>("SELECT object_key FROM personal.vault_uploads WHERE original_removed_by = $1", [forgetId]);
  for (const row of rows) await deletePrefix(deps.store, row.object_key);
}
