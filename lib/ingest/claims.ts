import type { Queryable } from "../db/pool";

/**
 * What became of one exchange when an upload tried to claim it:
 * - `mine`: this upload holds it and must store it (it just claimed it, or an earlier attempt did);
 * - `held`: another upload, not yet settled, holds it; this upload defers to it (see the merge);
 * - `merged`: it is in the vault already, a duplicate; or the vault forgot it (a tombstone), and this
 *   upload was not asked to bring it back.
 */
export type ClaimOutcome = "mine" | "held" | "merged";

/**
 * The claim itself, as the start of a statement: `input` (the batch's hashes and record ids, in order,
 * $3 and $4) and `claimed` (the hashes this upload holds after it, RETURNING content_hash). The vault is
 * $1, the upload $2, and $5 whether a forgotten exchange may be taken over. The statement goes on with
 * the SELECT that turns them into outcomes.
 */
export const CLAIM_ROWS = `WITH input AS (SELECT h, r, ord FROM unnest($3::bytea[], $4::text[]) WITH ORDINALITY AS t(h, r, ord)),
     claimed AS (
       INSERT INTO personal.vault_exchanges AS e (vault_id, content_hash, record_id, upload_id)
       SELECT $1, h, r, $2 FROM input
       ON CONFLICT (vault_id, content_hash) DO UPDATE
         SET claimed_at = excluded.claimed_at, upload_id = excluded.upload_id, record_id = excluded.record_id, state = 'claimed',
             forgotten_upload_id = CASE WHEN e.state = 'forgotten' THEN e.upload_id ELSE e.forgotten_upload_id END
         WHERE (e.upload_id = excluded.upload_id AND e.state = 'claimed') OR (e.state = 'forgotten' AND $5)
       RETURNING content_hash)`;

/**
 * Claims exchanges for an upload, atomically: a row per (vault, content hash) is the claim, so of two
 * uploads racing for one exchange exactly one inserts it. Returns one outcome per hash, in order.
 * `held` only ever means "not stored by this upload yet": whether the holder will store it is the
 * merge's question, answered when it can be.
 *
 * `hashes` must not repeat within one call (Postgres refuses to update one row twice in a statement).
 */
export async function claimExchanges(
  db: Queryable,
  vaultId: string,
  uploadId: string,
  hashes: Buffer[],
  recordIds: string[],
  options: { includeForgotten?: boolean } = {},
): Promise<ClaimOutcome[]> {
  if (hashes.length === 0) return [];
  // A forgotten exchange's row stays, as a tombstone: it is a duplicate like a merged one, unless the
  // upload was asked to bring forgotten memories back, in which case it takes the row over. The row keeps
  // its forget and the upload it belonged to until the merge, so that a failed upload gives it back.
  // What a row not claimed here is (its state before this statement: a data-modifying WITH's changes are
  // not visible to the rest of the statement, https://www.postgresql.org/docs/current/queries-with.html)
  // is looked up by primary key, and only for those rows (CASE evaluates only the branches it needs,
  // https://www.postgresql.org/docs/current/functions-conditional.html): joined,
  // the planner hashed every row of the vault for each batch, so claiming cost grew with the vault.
  const { rows } = await db.query<{ outcome: ClaimOutcome }>(
    `${CLAIM_ROWS}
     SELECT CASE WHEN c.content_hash IS NOT NULL THEN 'mine'
                 WHEN (SELECT e.state FROM personal.vault_exchanges e WHERE e.vault_id = $1 AND e.content_hash = i.h) IN ('merged', 'forgotten') THEN 'merged'
                 ELSE 'held' END AS outcome
       FROM input i
       LEFT JOIN claimed c ON c.content_hash = i.h
      ORDER BY i.ord`,
    [vaultId, uploadId, hashes, recordIds, options.includeForgotten === true],
  );
  return rows.map((row) => row.outcome);
}

/** Records exchanges this upload deferred to other uploads, with the chunk that carries each. */
export async function recordDeferrals(
  db: Queryable,
  upload: { id: string; vault_id: string },
  attempt: number,
  deferred: Array<{ hash: Buffer; recordId: string; chunkIndex: number }>,
): Promise<void> {
  if (deferred.length === 0) return;
  await db.query(
    `INSERT INTO personal.upload_deferrals (upload_id, attempt, vault_id, chunk_index, content_hash, record_id)
     SELECT $1, $2, $3, c, h, r FROM unnest($4::int[], $5::bytea[], $6::text[]) AS t(c, h, r)
     ON CONFLICT DO NOTHING`,
    [upload.id, attempt, upload.vault_id, deferred.map((entry) => entry.chunkIndex), deferred.map((entry) => entry.hash), deferred.map((entry) => entry.recordId)],
  );
}

/**
 * Gives back what a failed upload claimed but never merged, and forgets what it deferred. A tombstone it
 * took over (to bring a forgotten memory back) is a tombstone again, of the same forget and upload,
 * unless that forget was undone meanwhile.
 */
export async function releaseClaims(db: Queryable, uploadId: string): Promise<number> {
  await db.query(
    `UPDATE personal.vault_exchanges SET state = 'forgotten', upload_id = forgotten_upload_id, forgotten_upload_id = NULL
      WHERE upload_id = $1 AND state = 'claimed' AND forgotten_upload_id IS NOT NULL
        AND forget_id IN (SELECT id FROM personal.vault_forgets WHERE restored_at IS NULL)`,
    [uploadId],
  );
  const { rowCount } = await db.query("DELETE FROM personal.vault_exchanges WHERE upload_id = $1 AND state = 'claimed'", [uploadId]);
  await db.query("DELETE FROM personal.upload_deferrals WHERE upload_id = $1", [uploadId]);
  return rowCount ?? 0;
}

/**
 * Marks every exchange `uploadId` holds as merged, as the merge's commit does; returns how many. Updated
 * in place on their pages (migrations/0016_claims-fillfactor.sql), so a large upload's commit stays short.
 * A tombstone the upload took over is a memory again: its forget and former holder go.
 */
export async function markMerged(db: Queryable, vaultId: string, uploadId: string): Promise<number> {
  const { rowCount } = await db.query(
    "UPDATE personal.vault_exchanges SET state = 'merged', forget_id = NULL, forgotten_upload_id = NULL WHERE vault_id = $1 AND upload_id = $2 AND state = 'claimed'",
    [vaultId, uploadId],
  );
  return rowCount ?? 0;
}

/**
 * The hashes (hex) an upload holds and has not merged. PostgreSQL writes them as hex
 * (https://www.postgresql.org/docs/current/functions-binarystring.html, `encode`), which spares a Buffer
 * per row here: the 101,626 of a 100k-exchange upload in 84–145 ms against 119–312 ms (8 reads each).
 */
export async function heldBy(db: Queryable, vaultId: string, uploadId: string): Promise<Set<string>> {
  const { rows } = await db.query<{ hash: string }>(
    "SELECT encode(content_hash, 'hex') AS hash FROM personal.vault_exchanges WHERE vault_id = $1 AND upload_id = $2 AND state = 'claimed'",
    [vaultId, uploadId],
  );
  return new Set(rows.map((row) => row.hash));
}

/** The hashes (hex) of one chunk's deferred exchanges that this upload does not hold: not to embed. */
export async function notHeldInChunk(db: Queryable, uploadId: string, attempt: number, chunkIndex: number): Promise<Set<string>> {
  const { rows } = await db.query<{ content_hash: Buffer }>(
    `SELECT d.content_hash FROM personal.upload_deferrals d
       LEFT JOIN personal.vault_exchanges e ON e.vault_id = d.vault_id AND e.content_hash = d.content_hash
      WHERE d.upload_id = $1 AND d.attempt = $2 AND d.chunk_index = $3 AND e.upload_id IS DISTINCT FROM $1`,
    [uploadId, attempt, chunkIndex],
  );
  return new Set(rows.map((row) => row.content_hash.toString("hex")));
}
