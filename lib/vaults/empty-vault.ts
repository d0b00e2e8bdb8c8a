import type { SQSClient } from "@aws-sdk/client-sqs";
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { confirmPassword, type PasswordConfirmation } from "../accounts/confirm-password";
import { withTransaction } from "../db/transaction";
import { NotFoundError } from "../errors";
import type { EmptyVaultMessage } from "../ingest/messages";
import { workPrefix } from "../ingest/work-files";
import { log } from "../log";
import { sendJson } from "../queues/client";
import { segmentsFolder } from "../search/segment-keys";
import type { SearchManifest } from "../search/version-indexes";
import type { Store } from "../store/client";
import { getJson } from "../store/objects";
import { deletePrefix } from "../store/streams";
import { abortMultipart } from "../uploads/presign";
import { UNSETTLED_STATES } from "../uploads/lifecycle";
import { vaultKeys } from "./layout";
import { versionKeys } from "./versions";

export interface EmptyVaultDeps {
  db: pg.Pool;
  store: Store;
  sqs: SQSClient;
  reduceQueueUrl: string;
}

export interface EmptiedVault {
  /** The vault's version from now on: it holds no memories. */
  version: number;
  /** Uploads that were still in flight and are cancelled. */
  cancelled_uploads: number;
}

/**
 * Empties a vault and keeps the account, the one module that does it. Two steps:
 *
 * ```text
 *   request (password checked; one transaction)          reduce queue, the vault's FIFO group
 *   ─ every upload row, claim and dedupe row deleted     ─ after any merge of the vault that was
 *     (uploads in flight with them: their workers          under way, and before any later one:
 *     find no row and stop, late events find nothing)     every object under the vault's prefix
 *   ─ current_version + 1, node_count 0: every reader      except vault.json and the files of
 *     sees an empty vault at once                          uploads made since (deleteEmptiedFiles)
 * ```
 *
 * Why the files go through the queue: a merge that started before the request may still be writing
 * version N+1 when the request commits. Its switch then fails (its claims are gone, its upload too, and
 * the version moved), but its files would land after a deletion made right away. The reduce queue runs
 * one vault's messages one after the other, so the deletion runs once that merge has stopped, and the
 * next merge starts from an empty vault (lib/vaults/version-writer.ts writes a first version when the
 * previous one holds no nodes). Version numbers only grow, so no cache keyed by (vault, version) can
 * serve what was emptied.
 */
export async function emptyVault(deps: EmptyVaultDeps, userId: string, confirmation: PasswordConfirmation): Promise<EmptiedVault> {
  await confirmPassword(deps.db, userId, confirmation, "That is not your password. Your vault was not emptied.");
  const emptied = await withTransaction(deps.db, async (tx) => {
    // Locks the vault row: a merge's switch of this vault waits for this transaction, then finds it moved.
    const { rows: vaults } = await tx.query<{ id: string; prefix: string }>("SELECT id, prefix FROM personal.vaults WHERE user_id = $1 FOR UPDATE", [userId]);
    const vault = vaults[0];
    if (!vault) throw new NotFoundError("You have no vault yet.");
    const { rows: uploads } = await tx.query<{ id: string; state: string; object_key: string | null; multipart_id: string | null }>(
      "SELECT id, state, object_key, multipart_id FROM personal.vault_uploads WHERE vault_id = $1",
      [vault.id],
    );
    // Claims, chunks and deferrals cascade from the uploads.
    await tx.query("DELETE FROM personal.vault_exchanges WHERE vault_id = $1", [vault.id]);
    await tx.query("DELETE FROM personal.vault_uploads WHERE vault_id = $1", [vault.id]);
    // What was forgotten is gone with the rest; its forgets (and their tombstones, above) go too.
    await tx.query("DELETE FROM personal.vault_forgets WHERE vault_id = $1", [vault.id]);
    // Event ids name the uploads' objects; a late event of one of them must find nothing.
    await tx.query("DELETE FROM personal.store_events WHERE object_key LIKE $1", [`${vault.prefix}/%`]);
    const { rows } = await tx.query<{ current_version: number }>(
      `UPDATE personal.vaults SET current_version = current_version + 1, node_count = 0, total_bytes = 0, last_sync_at = now(), error_message = NULL,
              emptied_version = current_version + 1, emptied_at = now()
        WHERE id = $1 RETURNING current_version`,
      [vault.id],
    );
    const inFlight = uploads.filter((upload) => (UNSETTLED_STATES as readonly string[]).includes(upload.state));
    return { vault, version: rows[0]!.current_version, inFlight };
    // A merge committing at the same moment holds its memories and then asks for the vault row, the other
    // way round from this: PostgreSQL fails one side, and this one is repeated whole.
  }, { deadlockRetries: 3 });
  const { vault, version, inFlight } = emptied;
  const message: EmptyVaultMessage = { type: "empty-vault", vault_id: vault.id, version };
  await sendJson(deps.sqs, deps.reduceQueueUrl, message, { groupId: vault.id, deduplicationId: `empty:${vault.id}:${version}:${randomUUID()}` });
  // Parts a browser already sent of a multipart upload: no row can complete it now.
  for (const upload of inFlight) {
    if (upload.multipart_id && upload.object_key) await abortMultipart(deps.store, upload.object_key, upload.multipart_id).catch(() => undefined);
  }
  log.info("vault emptied", { vaultId: vault.id, version, cancelledUploads: inFlight.length });
  return { version, cancelled_uploads: inFlight.length };
}

/**
 * The reduce queue's half of emptying a vault: deletes every object under the vault's prefix except
 * vault.json, the files of uploads that exist now (made after the emptying), and the files of versions
 * after `message.version` with the search segments they list (none, unless a merge ran since). Safe to
 * repeat: a second run finds only what it keeps.
 */
export async function deleteEmptiedFiles(deps: { db: pg.Pool; store: Store }, message: EmptyVaultMessage): Promise<number> {
  const { rows: vaults } = await deps.db.query<{ prefix: string; current_version: number }>("SELECT prefix, current_version FROM personal.vaults WHERE id = $1", [message.vault_id]);
  const vault = vaults[0];
  if (!vault) return 0; // the account was deleted since, and its files with it
  const { rows: uploads } = await deps.db.query<{ id: string }>("SELECT id FROM personal.vault_uploads WHERE vault_id = $1", [message.vault_id]);
  const keys = vaultKeys(vault.prefix);
  const keptUploads = uploads.flatMap((upload) => [`${keys.uploads}${upload.id}/`, workPrefix(vault.prefix, upload.id)]);
  const laterVersions: string[] = [];
  const listedSegments = new Set<string>();
  for (let version = message.version + 1; version <= vault.current_version; version++) {
    const later = versionKeys(vault.prefix, version);
    laterVersions.push(...later.prefixes);
    // Read as stored, without loading the search code (USearch is not in every function that empties
    // vaults, e.g. the hourly sweep-vault-files): any manifest names the segments it uses.
    const manifest = await getJson<Pick<SearchManifest, "segments">>(deps.store, later.searchManifest);
    for (const segment of Array.isArray(manifest?.segments) ? manifest.segments : []) listedSegments.add(`${segmentsFolder(vault.prefix)}${segment.name}/`);
  }
  const kept = [...keptUploads, ...laterVersions, ...listedSegments];
  const deleted = await deletePrefix(deps.store, `${vault.prefix}/`, { keep: (key) => key === keys.manifest || kept.some((prefix) => key.startsWith(prefix)) });
  // Done: the sweeper no longer needs to (an emptying made since, with a higher version, stays pending).
  await deps.db.query("UPDATE personal.vaults SET emptied_version = NULL, emptied_at = NULL WHERE id = $1 AND emptied_version <= $2", [message.vault_id, message.version]);
  log.info("emptied vault's files deleted", { vaultId: message.vault_id, version: message.version, deleted });
  return deleted;
}

/**
 * Runs {@link deleteEmptiedFiles} for emptyings whose reduce-queue message has not done it after
 * `olderThanSeconds` (longer than a merge may run, so no merge that began before the emptying can still
 * be writing): a message that was dead-lettered would otherwise leave the files for good. Returns the
 * number of vaults finished.
 */
export async function finishPendingEmptyings(deps: { db: pg.Pool; store: Store }, options: { olderThanSeconds: number }): Promise<number> {
  const { rows } = await deps.db.query<{ id: string; emptied_version: number }>(
    "SELECT id, emptied_version FROM personal.vaults WHERE emptied_version IS NOT NULL AND emptied_at <= now() - make_interval(secs => $1) ORDER BY emptied_at LIMIT 100",
    [options.olderThanSeconds],
  );
  for (const vault of rows) await deleteEmptiedFiles(deps, { type: "empty-vault", vault_id: vault.id, version: vault.emptied_version });
  return rows.length;
}
