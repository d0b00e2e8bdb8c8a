import type { SQSClient } from "@aws-sdk/client-sqs";
import type pg from "pg";
import { withTransaction } from "../db/transaction";
import { log } from "../log";
import type { Store } from "../store/client";
import { deletePrefix } from "../store/streams";
import { markFailed, UNSETTLED_STATES, type UploadState } from "../uploads/lifecycle";
import { releaseClaims } from "./claims";
import { wakeWaitingMerges } from "./pipeline-messages";
import { workPrefix } from "./work-files";

export interface FailDeps {
  db: pg.Pool;
  store: Store;
  sqs: SQSClient;
  reduceQueueUrl: string;
}

/**
 * Marks an upload failed with a message for the person and, in the same transaction, gives back the
 * exchanges it claimed (so the same file can be uploaded again, and so uploads that deferred to it take
 * them over). Then removes its work files and the uploaded file (we keep no copy of data we could not
 * use) and wakes the vault's waiting merges. The vault is untouched: a failed upload never reaches the
 * version switch. Idempotent: an upload already failed is cleaned up again; returns whether this call
 * failed it.
 */
export async function failUpload(
  deps: FailDeps,
  upload: { id: string; vault_id: string; vault_prefix: string; object_key: string },
  message: string,
  from: readonly UploadState[] = UNSETTLED_STATES,
): Promise<boolean> {
  const { moved, state } = await withTransaction(deps.db, async (tx) => {
    const moved = await markFailed(tx, upload.id, message, from);
    const { rows } = await tx.query<{ state: UploadState }>("SELECT state FROM personal.vault_uploads WHERE id = $1", [upload.id]);
    if (rows[0]?.state === "failed") await releaseClaims(tx, upload.id);
    return { moved, state: rows[0]?.state };
  });
  if (state !== "failed") return false;
  await removeUploadFiles(deps.store, upload, { keepOriginal: false });
  await wakeWaitingMerges(deps, upload.vault_id, upload.id);
  if (moved) log.info("upload failed", { uploadId: upload.id, reason: message });
  return moved;
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
