import type { Queryable } from "../db/pool";
import { storableJson } from "../db/storable-text";

/**
 * An upload's life, the one place its state changes. Every transition is one guarded UPDATE: it
 * names the states it may start from (and the split attempt it belongs to), so a worker that lost a
 * race, a stale retry or a sweeper acting on an old reading changes nothing and learns so from the
 * returned value. No other module writes `vault_uploads.state`.
 *
 * ```text
 *   awaiting_upload ──startSplit──► parsing ──finishSplit──► embedding ──countEmbeddedChunk──► merging ──completeMerge──► complete
 *         │                          │  ▲ │                      ▲                          ▲  │
 *         │ cancel                   │  │ └──finishSplit (every chunk embedded already)─────┘  │
 *         │                          │  │ (a new attempt when   └──────reopenChunks────────────┘ (exchanges a failed
 *         │                          │  │  the last one stopped beating)                          upload let go)
 *         ▼                          │  └─ recordSplitChunk / countEmbeddedChunk: chunks are embedded while the split goes on
 *       failed ◄──── markFailed from any state above (bad file, dead letter, sweeper, embedder changed)
 *                     parsing ──finishSplit (nothing new) / completeAsDuplicateFile──► complete
 * ```
 *
 * While `parsing`, `chunks_total` counts the chunks the attempt has recorded so far and `chunks_done`
 * those embedded: the split and the embed workers run side by side, and whichever of them finishes
 * last moves the upload to `merging` (finishSplit when every chunk is embedded already, else the count
 * of the last chunk), so exactly one of them asks for the merge. Both write the upload's row once per
 * chunk, each in one statement: a lock held across round trips, by a process that also runs the
 * workers, would queue all the others behind it.
 *
 * What the API shows is derived from `state` when read ({@link uploadStatus}, {@link uploadPhase});
 * nothing stores a status twice.
 */
export type UploadState = "awaiting_upload" | "parsing" | "embedding" | "merging" | "complete" | "failed";

export const UNSETTLED_STATES: readonly UploadState[] = ["awaiting_upload", "parsing", "embedding", "merging"];
/** States in which an upload's workers are busy with it; its vault is syncing meanwhile. */
export const PROCESSING_STATES: readonly UploadState[] = ["parsing", "embedding", "merging"];

/** The API's coarse status, as the web page and the CLI read it. */
export function uploadStatus(state: UploadState): "pending" | "processing" | "complete" | "failed" {
  if (state === "awaiting_upload") return "pending";
  if (state === "complete" || state === "failed") return state;
  return "processing";
}

/** The API's phase: the state, with `complete` spelled `done` as clients have always read it. */
export function uploadPhase(state: UploadState): Exclude<UploadState, "complete"> | "done" {
  return state === "complete" ? "done" : state;
}

/** SQL for a vault's status, derived from its node count and its uploads: `empty`, `syncing` or `ready`. */
export function vaultStatusSql(vaultAlias: string): string {
  return `CASE
    WHEN EXISTS (SELECT 1 FROM personal.vault_uploads s WHERE s.vault_id = ${vaultAlias}.id AND s.state IN ('parsing', 'embedding', 'merging')) THEN 'syncing'
    WHEN ${vaultAlias}.node_count > 0 THEN 'ready'
    ELSE 'empty' END`;
}

async function changed(db: Queryable, sql: string, params: unknown[]): Promise<boolean> {
  const { rowCount } = await db.query(sql, params);
  return (rowCount ?? 0) > 0;
}

/** awaiting_upload → failed: the person cancelled before sending the file. */
export function cancel(db: Queryable, uploadId: string): Promise<boolean> {
  return changed(
    db,
    `UPDATE personal.vault_uploads SET state = 'failed', error_message = 'Upload cancelled.', processing_completed_at = now()
      WHERE id = $1 AND state = 'awaiting_upload'`,
    [uploadId],
  );
}

/** failed → gone: the person dismissed a failed or cancelled upload (its claims were given back when it failed). */
export function dismiss(db: Queryable, uploadId: string): Promise<boolean> {
  return changed(db, "DELETE FROM personal.vault_uploads WHERE id = $1 AND state = 'failed'", [uploadId]);
}

/**
 * awaiting_upload → parsing, or parsing → parsing with a new attempt when the last attempt stopped
 * beating for `leaseSeconds` (its function died). Records the embedder every chunk of the attempt must
 * use. Returns the attempt's number, or `undefined` if another attempt is alive or the upload moved on.
 */
export async function startSplit(
  db: Queryable,
  uploadId: string,
  options: { size: number; embedder: { embedder: string; model: string; dim: number }; leaseSeconds: number },
): Promise<number | undefined> {
  const { rows } = await db.query<{ split_attempt: number }>(
    `UPDATE personal.vault_uploads
        SET state = 'parsing', split_heartbeat_at = now(), uploaded_bytes = $2, bytes_parsed = 0,
            embedder = $3, embedder_model = $4, embedding_dim = $5,
            processing_started_at = coalesce(processing_started_at, now()),
            split_attempt = split_attempt + 1, chunks_total = 0, chunks_done = 0, chunks_enqueued_at = NULL,
            timings = timings || jsonb_build_object('queued_ms', round(extract(epoch FROM now() - uploaded_at) * 1000))
      WHERE id = $1 AND (state = 'awaiting_upload'
        OR (state = 'parsing' AND (split_heartbeat_at IS NULL OR split_heartbeat_at < now() - make_interval(secs => $6))))
      RETURNING split_attempt`,
    [uploadId, options.size, options.embedder.embedder, options.embedder.model, options.embedder.dim, options.leaseSeconds],
  );
  return rows[0]?.split_attempt;
}

/** parsing → parsing: the attempt is alive (its heartbeat), with how far it has read if known. */
export function recordParseProgress(db: Queryable, uploadId: string, attempt: number, progress?: { bytesParsed: number; exchangesFound: number }): Promise<boolean> {
  return changed(
    db,
    `UPDATE personal.vault_uploads
        SET split_heartbeat_at = now(), bytes_parsed = coalesce($3, bytes_parsed), exchanges_found = coalesce($4, exchanges_found)
      WHERE id = $1 AND split_attempt = $2 AND state = 'parsing'`,
    [uploadId, attempt, progress?.bytesParsed ?? null, progress?.exchangesFound ?? null],
  );
}

export function recordContentHash(db: Queryable, uploadId: string, attempt: number, sha256: string): Promise<boolean> {
  return changed(db, "UPDATE personal.vault_uploads SET content_sha256 = $3 WHERE id = $1 AND split_attempt = $2 AND state = 'parsing'", [uploadId, attempt, sha256]);
}

/** parsing → complete: the same bytes as `original`, a completed upload whose memories are all in the vault. */
export function completeAsDuplicateFile(
  db: Queryable,
  uploadId: string,
  attempt: number,
  original: { id: string; source_type: string; exchanges_found: number; profiles_found: number },
): Promise<boolean> {
  return changed(
    db,
    `UPDATE personal.vault_uploads
        SET state = 'complete', duplicate_of = $3, source_type = $4,
            exchanges_found = $5::int, profiles_found = $6::int, nodes_created = 0, nodes_deduplicated = $5::int + $6::int,
            processing_completed_at = now()
      WHERE id = $1 AND split_attempt = $2 AND state = 'parsing'`,
    [uploadId, attempt, original.id, original.source_type, original.exchanges_found, original.profiles_found],
  );
}

export interface SplitResult {
  source: string;
  exchanges: number;
  profiles: number;
  /** Exchanges already in the vault, or repeated within the file. */
  duplicates: number;
  summary: unknown;
  chunks: number;
}

/**
 * parsing → parsing: records chunk `chunk.index` of the attempt (its row, which embed workers may take at
 * once) and counts it in `chunks_total`, in one statement, so the upload's row is locked only while
 * Postgres runs it. `false` if a newer attempt took the upload over, or it settled (nothing recorded).
 */
export async function recordSplitChunk(db: Queryable, uploadId: string, attempt: number, chunk: { index: number; records: number }): Promise<boolean> {
  const { rows } = await db.query(
    `WITH counted AS (
       UPDATE personal.vault_uploads SET chunks_total = chunks_total + 1, split_heartbeat_at = now()
        WHERE id = $1 AND split_attempt = $2 AND state = 'parsing'
       RETURNING id)
     INSERT INTO personal.upload_chunks (upload_id, attempt, chunk_index, records)
     SELECT id, $2, $3, $4 FROM counted
     RETURNING chunk_index`,
    [uploadId, attempt, chunk.index, chunk.records],
  );
  return rows.length > 0;
}

const EMBED_DONE_AT = `jsonb_build_object('embed_done_at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;

/**
 * parsing → embedding; → merging when every chunk was embedded while the split ran; → complete when the
 * file held nothing the vault lacks. Returns the state it moved to, or `undefined` if the attempt was
 * superseded (nothing changed).
 */
export async function finishSplit(tx: Queryable, uploadId: string, attempt: number, result: SplitResult): Promise<"embedding" | "merging" | "complete" | undefined> {
  const { rows } = await tx.query<{ state: "embedding" | "merging" | "complete" }>(
    `UPDATE personal.vault_uploads
        SET source_type = $3, exchanges_found = $4, profiles_found = $5, nodes_deduplicated = $6,
            parse_summary = $7, bytes_parsed = uploaded_bytes, chunks_total = $8,
            state = CASE WHEN $8 = 0 THEN 'complete' WHEN chunks_done >= $8 THEN 'merging' ELSE 'embedding' END,
            timings = CASE WHEN $8 > 0 AND chunks_done >= $8 THEN timings || ${EMBED_DONE_AT} ELSE timings END,
            processing_completed_at = CASE WHEN $8 = 0 THEN now() END
      WHERE id = $1 AND split_attempt = $2 AND state = 'parsing'
      RETURNING state`,
    [uploadId, attempt, result.source, result.exchanges, result.profiles, result.duplicates, storableJson(result.summary), result.chunks],
  );
  return rows[0]?.state;
}

/** Notes that every embed message of the attempt was sent (a split redelivered after a crash sends them again if not). */
export function markChunksEnqueued(db: Queryable, uploadId: string, attempt: number): Promise<boolean> {
  return changed(
    db,
    "UPDATE personal.vault_uploads SET chunks_enqueued_at = now() WHERE id = $1 AND split_attempt = $2 AND state IN ('embedding', 'merging')",
    [uploadId, attempt],
  );
}

/**
 * Marks chunk `chunkIndex` embedded and counts it, in one statement (the upload's row is locked only
 * while Postgres runs it, never across round trips): parsing → parsing (the split goes on and will
 * write more chunks), embedding → embedding, or embedding → merging with the last chunk. Of any number
 * of deliveries of one chunk, exactly one counts it. Returns the counts and the state after this one,
 * if it counted.
 */
export async function countEmbeddedChunk(
  db: Queryable,
  uploadId: string,
  attempt: number,
  chunkIndex: number,
): Promise<{ chunks_done: number; chunks_total: number; state: UploadState } | undefined> {
  const { rows } = await db.query<{ chunks_done: number; chunks_total: number; state: UploadState }>(
    `WITH marked AS (
       UPDATE personal.upload_chunks SET state = 'done', done_at = now()
        WHERE upload_id = $1 AND attempt = $2 AND chunk_index = $3 AND state = 'pending'
       RETURNING chunk_index)
     UPDATE personal.vault_uploads
        SET chunks_done = chunks_done + 1,
            state = CASE WHEN state = 'embedding' AND chunks_done + 1 = chunks_total THEN 'merging' ELSE state END,
            timings = CASE WHEN state = 'embedding' AND chunks_done + 1 = chunks_total THEN timings || ${EMBED_DONE_AT} ELSE timings END
      WHERE id = $1 AND split_attempt = $2 AND state IN ('parsing', 'embedding') AND EXISTS (SELECT 1 FROM marked)
      RETURNING chunks_done, chunks_total, state`,
    [uploadId, attempt, chunkIndex],
  );
  return rows[0];
}

/** merging → embedding: `chunks` chunks must be embedded again (they hold exchanges this upload took over). */
export function reopenChunks(tx: Queryable, uploadId: string, attempt: number, chunks: number): Promise<boolean> {
  return changed(
    tx,
    `UPDATE personal.vault_uploads SET state = 'embedding', chunks_done = chunks_done - $3
      WHERE id = $1 AND split_attempt = $2 AND state = 'merging' AND chunks_done >= $3`,
    [uploadId, attempt, chunks],
  );
}

/** merging → complete, in the transaction that switches the vault to the version holding its nodes. */
export function completeMerge(tx: Queryable, uploadId: string, attempt: number, result: { nodesCreated: number; mergeMs: number; mergeParts?: Record<string, number> }): Promise<boolean> {
  return changed(
    tx,
    `UPDATE personal.vault_uploads
        SET state = 'complete', nodes_created = $3, nodes_deduplicated = greatest(0, exchanges_found + profiles_found - $3), processing_completed_at = now(),
            timings = timings || $5::jsonb || jsonb_build_object('merge_ms', $4::int, 'total_ms', round(extract(epoch FROM now() - uploaded_at) * 1000))
      WHERE id = $1 AND split_attempt = $2 AND state = 'merging'`,
    [uploadId, attempt, result.nodesCreated, result.mergeMs, JSON.stringify(result.mergeParts ?? {})],
  );
}

/** Any unsettled state → failed, with a message for the person. `from` narrows the states it may start from. */
export function markFailed(tx: Queryable, uploadId: string, message: string, from: readonly UploadState[] = UNSETTLED_STATES): Promise<boolean> {
  return changed(
    tx,
    `UPDATE personal.vault_uploads SET state = 'failed', error_message = $2, processing_completed_at = now()
      WHERE id = $1 AND state = ANY($3::text[])`,
    [uploadId, message.slice(0, 2000), from],
  );
}

/**
 * Counts a re-drive by the sweeper if the upload is still in `state` and attempt `attempt` and has
 * not moved for `staleSeconds`; touching the row makes the next sweep wait a full timeout again.
 * Returns the re-drive's number, or `undefined` if a worker moved the upload meanwhile.
 */
export async function countRedrive(db: Queryable, uploadId: string, state: UploadState, attempt: number, staleSeconds: number): Promise<number | undefined> {
  const { rows } = await db.query<{ redrives: number }>(
    `UPDATE personal.vault_uploads SET redrives = redrives + 1
      WHERE id = $1 AND state = $2 AND split_attempt = $3 AND updated_at < now() - make_interval(secs => $4)
      RETURNING redrives`,
    [uploadId, state, attempt, staleSeconds],
  );
  return rows[0]?.redrives;
}

/** Merges `entries` into the upload's `timings` (milliseconds and ISO timestamps per phase). */
export async function recordTimings(db: Queryable, uploadId: string, entries: Record<string, number | string>): Promise<void> {
  await db.query("UPDATE personal.vault_uploads SET timings = timings || $2::jsonb WHERE id = $1", [uploadId, JSON.stringify(entries)]);
}
