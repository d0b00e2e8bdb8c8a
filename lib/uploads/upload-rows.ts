import type { Queryable } from "../db/pool";
import type { UploadState } from "./lifecycle";

/** A `personal.vault_uploads` row joined with the owner of its vault. */
export interface UploadRow {
  id: string;
  vault_id: string;
  user_id: string;
  vault_prefix: string;
  source_type: string;
  original_filename: string | null;
  object_key: string;
  declared_bytes: number;
  uploaded_bytes: number | null;
  content_type: string | null;
  multipart_id: string | null;
  /** Moved only by `lib/uploads/lifecycle.ts`. */
  state: UploadState;
  exchanges_found: number;
  profiles_found: number;
  nodes_created: number;
  nodes_deduplicated: number;
  bytes_parsed: number;
  chunks_total: number;
  chunks_done: number;
  split_attempt: number;
  redrives: number;
  chunks_enqueued_at: Date | null;
  embedder: "http" | "local" | null;
  embedder_model: string | null;
  embedding_dim: number | null;
  content_sha256: string | null;
  duplicate_of: string | null;
  /** The person asked this upload to bring back memories the vault forgot. */
  include_forgotten: boolean;
  error_message: string | null;
  parse_summary: Record<string, unknown> | null;
  timings: Record<string, number | string>;
  uploaded_at: Date;
  updated_at: Date;
  processing_started_at: Date | null;
  processing_completed_at: Date | null;
}

/** An upload as the person is shown it: with what the newest completed forget of it (`DELETE /vault/uploads/{id}`) removed, if any. */
export interface UploadViewRow extends UploadRow {
  forgotten_memories: number | null;
  forgotten_at: Date | null;
}

const FROM_UPLOAD = "FROM personal.vault_uploads u JOIN personal.vaults v ON v.id = u.vault_id";
const SELECT_UPLOAD = `SELECT u.*, v.user_id, v.prefix AS vault_prefix ${FROM_UPLOAD}`;
// Only what the person is shown reads the forgets: the pipeline's lookups stay one join.
const SELECT_UPLOAD_VIEW = `
  SELECT u.*, v.user_id, v.prefix AS vault_prefix, f.memories AS forgotten_memories, f.completed_at AS forgotten_at
    ${FROM_UPLOAD}
    LEFT JOIN LATERAL (
      SELECT memories, completed_at FROM personal.vault_forgets
       WHERE vault_id = u.vault_id AND kind = 'upload' AND target = u.id::text AND state = 'complete'
       ORDER BY completed_at DESC LIMIT 1) f ON true`;

async function ownedUpload<Row>(db: Queryable, select: string, userId: string, uploadId: string): Promise<Row | undefined> {
  const { rows } = await db.query(`${select} WHERE u.id = $1 AND v.user_id = $2`, [uploadId, userId]);
  return rows[0] as Row | undefined;
}

/** The upload if it belongs to `userId`; another user's upload is indistinguishable from a missing one. */
export function findOwnedUpload(db: Queryable, userId: string, uploadId: string): Promise<UploadRow | undefined> {
  return ownedUpload<UploadRow>(db, SELECT_UPLOAD, userId, uploadId);
}

/** {@link findOwnedUpload}, as the person is shown it. */
export function findOwnedUploadView(db: Queryable, userId: string, uploadId: string): Promise<UploadViewRow | undefined> {
  return ownedUpload<UploadViewRow>(db, SELECT_UPLOAD_VIEW, userId, uploadId);
}

export async function findUpload(db: Queryable, uploadId: string): Promise<UploadRow | undefined> {
  const { rows } = await db.query<UploadRow>(`${SELECT_UPLOAD} WHERE u.id = $1`, [uploadId]);
  return rows[0];
}

/** The upload an object key was issued for: same user, same upload id, same key, or nothing. */
export async function findUploadForObject(db: Queryable, key: { userId: string; uploadId: string; objectKey: string }): Promise<UploadRow | undefined> {
  const { rows } = await db.query<UploadRow>(`${SELECT_UPLOAD} WHERE u.id = $1 AND v.user_id = $2 AND u.object_key = $3`, [
    key.uploadId,
    key.userId,
    key.objectKey,
  ]);
  return rows[0];
}

/** The vault's newest uploads, as the person is shown them. */
export async function recentUploads(db: Queryable, vaultId: string, limit = 20): Promise<UploadViewRow[]> {
  const { rows } = await db.query<UploadViewRow>(`${SELECT_UPLOAD_VIEW} WHERE u.vault_id = $1 ORDER BY u.uploaded_at DESC LIMIT $2`, [vaultId, limit]);
  return rows;
}
