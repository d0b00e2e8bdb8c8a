import type { Queryable } from "../db/pool";
import { log } from "../log";
import type { Store } from "../store/client";
import { putJson } from "../store/objects";
import { vaultStatusSql } from "../uploads/lifecycle";
import { vaultKeys, vaultManifest } from "./layout";

export interface VaultRow {
  id: string;
  user_id: string;
  bucket: string;
  prefix: string;
  node_count: number;
  total_bytes: number;
  /** Derived when read ({@link vaultStatusSql}), never stored. */
  status: "empty" | "syncing" | "ready";
  last_sync_at: Date | null;
  provisioned_at: Date | null;
  created_at: Date;
  current_version: number;
  embedder: string | null;
  embedder_model: string | null;
  embedding_dim: number | null;
}

/**
 * Makes sure the vault's prefix exists in the store by writing `vault.json`, then records that in
 * Postgres. Writing the same manifest twice is harmless, so a retry after any failure converges: the
 * row says "provisioned" only once the object exists.
 */
export async function ensureVaultProvisioned(db: Queryable, store: Store, vault: VaultRow): Promise<boolean> {
  if (vault.provisioned_at) return true;
  try {
    await putJson(store, vaultKeys(vault.prefix).manifest, vaultManifest({
      id: vault.id,
      userId: vault.user_id,
      prefix: vault.prefix,
      createdAt: vault.created_at,
    }));
  } catch (error) {
    log.warn("vault provisioning deferred: store unreachable", { vaultId: vault.id, error });
    return false;
  }
  await db.query("UPDATE personal.vaults SET provisioned_at = now() WHERE id = $1 AND provisioned_at IS NULL", [vault.id]);
  vault.provisioned_at = new Date();
  return true;
}

export async function findVaultByUser(db: Queryable, userId: string): Promise<VaultRow | undefined> {
  const { rows } = await db.query<VaultRow>(`SELECT v.*, ${vaultStatusSql("v")} AS status FROM personal.vaults v WHERE v.user_id = $1`, [userId]);
  return rows[0];
}
