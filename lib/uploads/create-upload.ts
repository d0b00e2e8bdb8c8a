import { randomUUID } from "node:crypto";
import type pg from "pg";
import { getConfig } from "../config";
import { AppError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors";
import type { Store } from "../store/client";
import { asTier, vaultLimitBytes, type TierPlans } from "../tiers/tiers";
import { ensureVaultProvisioned, findVaultByUser } from "../vaults/provision";
import { sanitiseFileName } from "./file-names";
import { completeMultipart, presignMultipart, presignPut } from "./presign";
import { findOwnedUpload } from "./upload-rows";

export interface UploadDeps {
  db: pg.Pool;
  store: Store;
  /** Above this many bytes the upload goes in parts (B2 and S3 take single PUTs up to 5 GB, but parts survive bad networks). */
  multipartThresholdBytes?: number;
  partSizeBytes?: number;
}

const DEFAULT_MULTIPART_THRESHOLD = 100 * 1024 * 1024;
const DEFAULT_PART_SIZE = 16 * 1024 * 1024;

export interface UploadRequest {
  filename: string;
  size: number;
  content_type?: string;
  /** Bring back memories the vault forgot, if this export holds them (they are skipped otherwise). */
  include_forgotten?: boolean;
}

const MB = 1024 * 1024;
const ACCEPTED = /\.(json|zip)$/i;

export class QuotaExceededError extends AppError {
  constructor(message: string) {
    super("vault_quota_exceeded", message, { status: 413 });
  }
}

/**
 * Registers an upload and hands back where to send it: a presigned PUT up to the multipart threshold
 * (100 MB by default), a multipart plan above. The key is chosen here, under the person's own prefix, so a client can never write
 * anywhere else; the tier decides whether uploads are allowed and how large the vault may grow.
 */
export async function createUpload(deps: UploadDeps & { plans?: TierPlans }, userId: string, request: UploadRequest) {
  if (!ACCEPTED.test(request.filename)) {
    throw new ValidationError("Upload your export's .zip, or its conversations.json (MyActivity.json for Gemini).", { field: "filename" });
  }
  if (request.size <= 0) throw new ValidationError("This file is empty.", { field: "size" });
  const contentType = request.filename.toLowerCase().endsWith(".zip") ? "application/zip" : "application/json";

  const vault = await findVaultByUser(deps.db, userId);
  if (!vault) throw new NotFoundError("You have no vault yet.");
  await ensureVaultProvisioned(deps.db, deps.store, vault);
  await checkTier(deps, userId, vault.id, vault.total_bytes, request.size);

  const uploadId = randomUUID();
  const fileName = sanitiseFileName(request.filename);
  const objectKey = `${vault.prefix}/uploads/${uploadId}/${fileName}`;
  const multipart = request.size > (deps.multipartThresholdBytes ?? DEFAULT_MULTIPART_THRESHOLD);
  const target = multipart
    ? await presignMultipart(deps.store, objectKey, request.size, contentType, deps.partSizeBytes ?? DEFAULT_PART_SIZE)
    : await presignPut(deps.store, objectKey, request.size, contentType);
  // The URL is signed before the row exists; nothing can arrive under this key until the client uses it.
  await deps.db.query(
    `INSERT INTO personal.vault_uploads (id, vault_id, original_filename, declared_bytes, content_type, object_key, multipart_id, include_forgotten)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [uploadId, vault.id, request.filename.slice(0, 500), request.size, contentType, objectKey, multipart ? (target as { multipart_id: string }).multipart_id : null, request.include_forgotten === true],
  );
  if (target.method === "multipart") {
    const { multipart_id: _internal, ...plan } = target;
    return { upload_id: uploadId, key: objectKey, ...plan };
  }
  return { upload_id: uploadId, key: objectKey, ...target };
}

/** `plans` (default: the configured ones) say whether uploads are allowed and how large the vault may grow. */
async function checkTier(deps: UploadDeps & { plans?: TierPlans }, userId: string, vaultId: string, vaultBytes: number, size: number): Promise<void> {
  const { rows } = await deps.db.query<{ tier: string; in_flight: number }>(
    `SELECT coalesce((SELECT tier FROM personal.user_tiers WHERE user_id = $1), 'free') AS tier,
            coalesce((SELECT sum(declared_bytes) FROM personal.vault_uploads
                       WHERE vault_id = $2 AND state NOT IN ('complete', 'failed')
                         AND uploaded_at > now() - interval '1 day'), 0)::bigint AS in_flight`,
    [userId, vaultId],
  );
  const tier = asTier(rows[0]!.tier);
  const plan = (deps.plans ?? getConfig().tiers)[tier];
  if (!plan.upload_enabled) throw new ForbiddenError("Uploads are not part of your plan.", "uploads_disabled");
  const limit = vaultLimitBytes(plan);
  // A vault kept through a downgrade may already hold more than the plan allows: nothing is deleted,
  // but nothing more comes in.
  if (vaultBytes >= limit) {
    throw new QuotaExceededError(
      `Your vault holds ${(vaultBytes / MB).toFixed(1)} MB, more than the ${tier} plan's ${plan.max_vault_size_mb} MB. Everything in it stays; new uploads need a larger plan.`,
    );
  }
  const used = vaultBytes + Number(rows[0]!.in_flight);
  if (used + size > limit) {
    throw new QuotaExceededError(
      `This file (${(size / MB).toFixed(1)} MB) would take your vault past its ${plan.max_vault_size_mb} MB limit on the ${tier} plan (${(used / MB).toFixed(1)} MB used).`,
    );
  }
}

/** Finishes a multipart upload once the client has sent every part; the store then announces the object. */
export async function completeUpload(deps: UploadDeps, userId: string, uploadId: string, parts: Array<{ part_number: number; etag: string }>) {
  const upload = await findOwnedUpload(deps.db, userId, uploadId);
  if (!upload) throw new NotFoundError("No such upload.");
  if (!upload.multipart_id) throw new ConflictError("not_multipart", "This upload was a single PUT; there is nothing to complete.");
  if (upload.state !== "awaiting_upload") throw new ConflictError("upload_not_pending", "This upload is already complete or cancelled.");
  try {
    await completeMultipart(deps.store, upload.object_key, upload.multipart_id, parts);
  } catch (error) {
    throw new ValidationError(`The upload could not be completed: ${(error as Error).message}`);
  }
  return { upload_id: uploadId, status: "pending" as const };
}
