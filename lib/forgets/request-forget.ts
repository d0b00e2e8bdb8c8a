import { randomUUID } from "node:crypto";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type pg from "pg";
import type { ForgetView } from "../api/contract";
import { withTransaction } from "../db/transaction";
import { ConflictError, NotFoundError } from "../errors";
import { failUpload } from "../ingest/upload-state";
import { sendJson } from "../queues/client";
import type { Store } from "../store/client";
import * as uploads from "../uploads/lifecycle";
import { abortMultipart } from "../uploads/presign";
import { findOwnedUpload } from "../uploads/upload-rows";
import { findVaultByUser, type VaultRow } from "../vaults/provision";
import * as forgets from "./lifecycle";
import type { ForgetMessage } from "./messages";

export interface ForgetRequestDeps {
  db: pg.Pool;
  store: Store;
  sqs: SQSClient;
  reduceQueueUrl: string;
}

/**
 * `DELETE /vault/uploads/{id}`, whatever the upload's state: one waiting for its file is cancelled; one
 * being processed is stopped (its claims given back, nothing of it merged); a failed or cancelled one is
 * dismissed (its row removed); a complete one has everything it added forgotten (a forget is queued).
 */
export async function removeUpload(deps: ForgetRequestDeps, userId: string, uploadId: string): Promise<{ forget?: ForgetView }> {
  const upload = await findOwnedUpload(deps.db, userId, uploadId);
  if (!upload) throw new NotFoundError("No such upload.");
  if (upload.state === "awaiting_upload" && (await uploads.cancel(deps.db, uploadId))) {
    if (upload.multipart_id) await abortMultipart(deps.store, upload.object_key, upload.multipart_id).catch(() => undefined);
    return {};
  }
  if (uploads.PROCESSING_STATES.includes(upload.state)) {
    await failUpload(deps, upload, "Cancelled: you removed this upload before it was added to your vault.", uploads.PROCESSING_STATES);
  }
  if (await uploads.dismiss(deps.db, uploadId)) return {};
  const now = await findOwnedUpload(deps.db, userId, uploadId);
  if (now?.state !== "complete") throw new ConflictError("upload_busy", "This upload is changing state right now. Try again in a moment.");
  return { forget: await queueForget(deps, await ownVault(deps, userId), "upload", uploadId) };
}

/** The vault's forgets, newest first. */
export async function listForgets(db: pg.Pool, userId: string): Promise<ForgetView[]> {
  const { rows } = await db.query<forgets.ForgetRow>(
    `SELECT f.* FROM personal.vault_forgets f JOIN personal.vaults v ON v.id = f.vault_id
      WHERE v.user_id = $1 ORDER BY f.requested_at DESC LIMIT 200`,
    [userId],
  );
  return rows.map(describeForget);
}

/**
 * `POST /vault/forgets/{id}/restore`: lifts a completed forget's tombstones, so that importing an
 * export holding those memories brings them back. Answers the forget and how many were lifted.
 */
export async function restoreForget(db: pg.Pool, userId: string, forgetId: string): Promise<{ forget: ForgetView; allowed_again: number }> {
  const { rows } = await db.query<forgets.ForgetRow>(
    "SELECT f.* FROM personal.vault_forgets f JOIN personal.vaults v ON v.id = f.vault_id WHERE f.id = $1 AND v.user_id = $2",
    [forgetId, userId],
  );
  const forget = rows[0];
  if (!forget) throw new NotFoundError("No such forget.", "forget_not_found");
  const lifted = await withTransaction(db, (tx) => forgets.restore(tx, forget.vault_id, forget.id));
  if (lifted === undefined) {
    throw new ConflictError("forget_not_restorable", forget.restored_at ? "This forget was restored already." : "Only a completed forget can be restored.");
  }
  const after = (await db.query<forgets.ForgetRow>("SELECT * FROM personal.vault_forgets WHERE id = $1", [forget.id])).rows[0]!;
  return { forget: describeForget(after), allowed_again: lifted };
}

export async function ownVault(deps: { db: pg.Pool }, userId: string): Promise<VaultRow> {
  const vault = await findVaultByUser(deps.db, userId);
  if (!vault) throw new NotFoundError("You have no vault yet.");
  return vault;
}

/** Records the forget, then (committed) asks the reduce queue for it, in the vault's message group. */
export async function queueForget(deps: ForgetRequestDeps, vault: VaultRow, kind: forgets.ForgetKind, target: string): Promise<ForgetView> {
  const { forget } = await forgets.create(deps.db, vault.id, kind, target);
  const message: ForgetMessage = { type: "forget", forget_id: forget.id, vault_id: vault.id };
  // A fresh deduplication id: asking again for a pending forget sends it again, and the job is idempotent.
  await sendJson(deps.sqs, deps.reduceQueueUrl, message, { groupId: vault.id, deduplicationId: `forget:${forget.id}:${randomUUID()}` });
  return describeForget(forget);
}

function describeForget(row: forgets.ForgetRow): ForgetView {
  return {
    forget_id: row.id,
    kind: row.kind,
    target: row.target,
    state: row.state,
    memories: row.memories,
    version: row.version,
    error_message: row.error_message,
    requested_at: row.requested_at.toISOString(),
    completed_at: row.completed_at?.toISOString() ?? null,
    restored_at: row.restored_at?.toISOString() ?? null,
  };
}
