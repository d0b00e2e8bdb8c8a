import type { Queryable } from "../db/pool";

/**
 * Claims exchanges for an upload, atomically: a row per (vault, content hash) is the claim, so of two
 * uploads racing for one exchange exactly one inserts it. Returns the hashes this upload may embed:
 * the ones it just claimed, and the ones an earlier attempt of the same upload claimed (a retry after a
 * crash); hashes held by other uploads, or already merged, are duplicates.
 *
 * `hashes` must not repeat within one call (Postgres refuses to update one row twice in a statement).
 */
export async function claimExchanges(db: Queryable, vaultId: string, uploadId: string, hashes: Buffer[], recordIds: string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const { rows } = await db.query<{ content_hash: Buffer }>(
    `INSERT INTO personal.vault_exchanges AS e (vault_id, content_hash, record_id, upload_id)
     SELECT $1, h, r, $2 FROM unnest($3::bytea[], $4::text[]) AS t(h, r)
     ON CONFLICT (vault_id, content_hash) DO UPDATE SET claimed_at = excluded.claimed_at
       WHERE e.upload_id = excluded.upload_id AND e.state = 'claimed'
     RETURNING content_hash`,
    [vaultId, uploadId, hashes, recordIds],
  );
  return new Set(rows.map((row) => row.content_hash.toString("hex")));
}

/** Gives back what a failed upload claimed but never merged, so uploading the file again works. */
export async function releaseClaims(db: Queryable, uploadId: string): Promise<number> {
  const { rowCount } = await db.query("DELETE FROM personal.vault_exchanges WHERE upload_id = $1 AND state = 'claimed'", [uploadId]);
  return rowCount ?? 0;
}

/** Marks an upload's claims as part of the vault; called in the transaction that switches the version. */
export async function markClaimsMerged(db: Queryable, uploadId: string): Promise<void> {
  await db.query("UPDATE personal.vault_exchanges SET state = 'merged' WHERE upload_id = $1 AND state = 'claimed'", [uploadId]);
}
