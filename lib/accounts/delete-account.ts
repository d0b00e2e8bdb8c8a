import type pg from "pg";
import { withTransaction } from "../db/transaction";
import { log } from "../log";
import type { Store } from "../store/client";
import { deletePrefix } from "../store/streams";
import { markFailed, UNSETTLED_STATES } from "../uploads/lifecycle";
import { vaultPrefix } from "../vaults/layout";
import { confirmPassword, type PasswordConfirmation } from "./confirm-password";

export interface DeleteAccountDeps {
  db: pg.Pool;
  store: Store;
}

/**
 * Deleting an account, the one module that does it. Two steps, each safe to repeat:
 *
 * ```text
 *   live ──requestDeletion──► deleting (detached) ──finishDeletion──► gone
 *          (password checked;        │                   (every object under users/{uuid}/, then
 *           one transaction)         │                    every row: the user's, cascading to the rest)
 *                                    └── interrupted? the sweeper finishes it (resumeDeletions)
 * ```
 *
 * The request detaches the account in one transaction: sessions and access tokens are deleted (every
 * request after it is refused), the e-mail address is replaced (it can sign up again at once, and no
 * longer names anyone here), and the uploads still in flight are failed, so their workers stop at their
 * next guarded step and their late events find nothing to act on. Only then are the files and rows
 * removed; a crash in between leaves a detached account that `resumeDeletions` finishes.
 */
export async function deleteAccount(deps: DeleteAccountDeps, userId: string, confirmation: PasswordConfirmation): Promise<void> {
  await requestDeletion(deps, userId, confirmation);
  await finishDeletion(deps, userId);
}

/** live → deleting, if the password is the account's; throttled like log-ins, since it checks one. */
export async function requestDeletion(deps: DeleteAccountDeps, userId: string, confirmation: PasswordConfirmation): Promise<void> {
  const email = await confirmPassword(deps.db, userId, confirmation, "That is not your password. Your account was not deleted.");
  await withTransaction(deps.db, async (tx) => {
    const detached = await tx.query(
      `UPDATE personal.users SET deleting_since = now(), email = id::text || '@deleted.invalid', password_hash = ''
        WHERE id = $1 AND deleting_since IS NULL`,
      [userId],
    );
    if (!detached.rowCount) return;
    await tx.query("DELETE FROM personal.sessions WHERE user_id = $1", [userId]);
    await tx.query("DELETE FROM personal.access_tokens WHERE user_id = $1", [userId]);
    await tx.query("DELETE FROM personal.login_attempts WHERE email = $1", [email]);
    const { rows: inFlight } = await tx.query<{ id: string }>(
      "SELECT u.id FROM personal.vault_uploads u JOIN personal.vaults v ON v.id = u.vault_id WHERE v.user_id = $1 AND u.state = ANY($2::text[])",
      [userId, UNSETTLED_STATES],
    );
    for (const upload of inFlight) await markFailed(tx, upload.id, "Cancelled: the account was deleted.");
  });
  log.info("account deletion requested", { userId });
}

/**
 * deleting → gone: every object under the account's prefix, then its rows. Does nothing to an account
 * that was not detached first; repeating it after it finished is harmless.
 */
export async function finishDeletion(deps: DeleteAccountDeps, userId: string): Promise<void> {
  const { rows } = await deps.db.query("SELECT 1 FROM personal.users WHERE id = $1 AND deleting_since IS NULL", [userId]);
  if (rows.length > 0) throw new Error(`account ${userId} was not detached before its deletion`);
  const prefix = `${vaultPrefix(userId)}/`;
  const objects = await deletePrefix(deps.store, prefix);
  await withTransaction(deps.db, async (tx) => {
    // B2 event ids name the object, hence the user: they go with the account.
    await tx.query("DELETE FROM personal.store_events WHERE object_key LIKE $1", [`${prefix}%`]);
    // Sessions, tokens, tier, billing, the vault and everything of the vault cascade from the user.
    await tx.query("DELETE FROM personal.users WHERE id = $1 AND deleting_since IS NOT NULL", [userId]);
    // The cascade locks the vault row before its memories; a merge committing at the same moment locks them
    // the other way round. Either side may be failed to break the cycle: the merge is redelivered, this is
    // repeated (deleting what is gone already deletes nothing).
  }, { deadlockRetries: 3 });
  log.info("account deleted", { userId, objects });
}

/** Finishes deletions requested more than `olderThanSeconds` ago that did not finish (the request crashed). */
export async function resumeDeletions(deps: DeleteAccountDeps, options: { olderThanSeconds: number }): Promise<number> {
  const { rows } = await deps.db.query<{ id: string }>(
    "SELECT id FROM personal.users WHERE deleting_since < now() - make_interval(secs => $1) ORDER BY deleting_since LIMIT 100",
    [options.olderThanSeconds],
  );
  for (const row of rows) await finishDeletion(deps, row.id);
  return rows.length;
}
