import type { VaultStatus } from "../api/contract";
import type { Queryable } from "../db/pool";
import { NotFoundError } from "../errors";
import { describeUpload } from "../uploads/progress";
import { recentUploads } from "../uploads/upload-rows";
import { findVaultByUser } from "./provision";

/** `GET /api/personal/vault/status`: the vault's figures and its recent uploads, newest first. */
export async function describeVaultStatus(db: Queryable, userId: string): Promise<VaultStatus> {
  const vault = await findVaultByUser(db, userId);
  if (!vault) throw new NotFoundError("You have no vault yet.");
  const uploads = await recentUploads(db, vault.id);
  return {
    vault: {
      prefix: vault.prefix,
      status: vault.status,
      node_count: vault.node_count,
      total_bytes: vault.total_bytes,
      last_sync_at: vault.last_sync_at?.toISOString() ?? null,
      version: vault.current_version,
      embedder: vault.embedder ? { embedder: vault.embedder, model: vault.embedder_model, dim: vault.embedding_dim } : null,
    },
    uploads: uploads.map(describeUpload),
  };
}
