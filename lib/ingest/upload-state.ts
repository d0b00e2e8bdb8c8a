import type { Queryable } from "../db/pool";
import { log } from "../log";
import type { Store } from "../store/client";
import { deletePrefix } from "../store/streams";
import { releaseClaims } from "./claims";
import { workPrefix } from "./work-files";

/** After an upload settles: the vault is syncing while any upload is processing, else ready (or empty). */
export async function refreshVaultStatus(db: Queryable, vaultId: string): Promise<void> {
  await db.query(
    `UPDATE personal.vaults v SET status = CASE
        WHEN EXISTS (SELECT 1 FROM personal.vault_uploads u WHERE u.vault_id = v.id AND u.status = 'processing') THEN 'syncing'
        WHEN v.node_count > 0 THEN 'ready'
        ELSE 'empty' END
      WHERE v.id = $1`,
    [vaultId],
  );
}

/**
 * Marks an upload failed with a message for the person, gives back its claimed exchanges (so the same
 * file can be uploaded again) and removes its work files and the uploaded file itself (we keep no copy
 * of data we could not use). The vault is untouched: a failed upload never reaches the version
 * switch. Idempotent; returns false if the upload had already settled.
 */
export async function failUpload(
  deps: { db: Queryable; store: Store },
  upload: { id: string; vault_id: string; vault_prefix: string; object_key: string },
  message: string,
): Promise<boolean> {
  const { rowCount } = await deps.db.query(
    `UPDATE personal.vault_uploads
        SET status = 'failed', phase = 'failed', error_message = $2, processing_completed_at = now()
      WHERE id = $1 AND status IN ('pending', 'processing')`,
    [upload.id, message.slice(0, 2000)],
  );
  await releaseClaims(deps.db, upload.id);
  await refreshVaultStatus(deps.db, upload.vault_id);
  await removeUploadFiles(deps.store, upload, { keepOriginal: false });
  if (rowCount) log.info("upload failed", { uploadId: upload.id, reason: message });
  return (rowCount ?? 0) > 0;
}

/** Deletes an upload's work folder, and its original file unless it is kept as part of the vault. */
export async function removeUploadFiles(store: Store, upload: { id: string; vault_prefix: string; object_key: string }, options: { keepOriginal: boolean }): Promise<void> {
  try {
    await deletePrefix(store, workPrefix(upload.vault_prefix, upload.id));
    if (!options.keepOriginal) await deletePrefix(store, upload.object_key);
  } catch (error) {
    log.warn("could not delete an upload's files", { uploadId: upload.id, error: (error as Error).message });
  }
}
