import type { Queryable } from "../db/pool";

/**
 * A forget's life, the one place its state changes. Each transition is one guarded statement naming
 * the state it starts from, so a retried message or a second request changes nothing twice.
 *
 * ```text
 *   (request) ──create──► pending ──complete──► complete ──restore──► complete, restored
 *                            │     (in the transaction that switches      (its tombstones lifted:
 *                            │      the vault to the version without       a re-import brings the
 *                            │      its memories, tombstones written)      memories back)
 *                            └──fail──► failed (the vault is unchanged)
 * ```
 */
export type ForgetKind = "memory" | "conversation" | "upload";
export type ForgetState = "pending" | "complete" | "failed";

export interface ForgetRow {
  id: string;
  vault_id: string;
  kind: ForgetKind;
  target: string;
  state: ForgetState;
  memories: number;
  version: number | null;
  error_message: string | null;
  requested_at: Date;
  completed_at: Date | null;
  restored_at: Date | null;
}

/**
 * A new pending forget, or the one already pending for the same target (a repeated request is the same
 * request; a partial unique index keeps it one row even when two requests race).
 */
export async function create(db: Queryable, vaultId: string, kind: ForgetKind, target: string): Promise<{ forget: ForgetRow; created: boolean }> {
  for (;;) {
    const { rows } = await db.query<ForgetRow>(
      `INSERT INTO personal.vault_forgets (vault_id, kind, target) VALUES ($1, $2, $3)
       ON CONFLICT (vault_id, kind, target) WHERE state = 'pending' DO NOTHING RETURNING *`,
      [vaultId, kind, target],
    );
    if (rows[0]) return { forget: rows[0], created: true };
    const pending = await db.query<ForgetRow>("SELECT * FROM personal.vault_forgets WHERE vault_id = $1 AND kind = $2 AND target = $3 AND state = 'pending'", [vaultId, kind, target]);
    // It settled between the two statements: the next insert makes a new one.
    if (pending.rows[0]) return { forget: pending.rows[0], created: false };
  }
}

/** pending → complete, in the transaction that switches the vault to `version` (null: nothing matched, no new version). */
export async function complete(tx: Queryable, forgetId: string, result: { memories: number; version: number | null }): Promise<boolean> {
  const { rowCount } = await tx.query(
    "UPDATE personal.vault_forgets SET state = 'complete', memories = $2, version = $3, completed_at = now() WHERE id = $1 AND state = 'pending'",
    [forgetId, result.memories, result.version],
  );
  return (rowCount ?? 0) > 0;
}

/** pending → failed, with a message for the person; the vault is unchanged. */
export async function fail(db: Queryable, forgetId: string, message: string): Promise<boolean> {
  const { rowCount } = await db.query(
    "UPDATE personal.vault_forgets SET state = 'failed', error_message = $2, completed_at = now() WHERE id = $1 AND state = 'pending'",
    [forgetId, message.slice(0, 2000)],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * complete → restored: the forget's tombstones are lifted, so the next import of an export holding
 * those memories brings them back. Nothing comes back by itself (the vault no longer has their text).
 */
export async function restore(tx: Queryable, vaultId: string, forgetId: string): Promise<number | undefined> {
  const { rowCount } = await tx.query(
    "UPDATE personal.vault_forgets SET restored_at = now() WHERE id = $1 AND vault_id = $2 AND state = 'complete' AND restored_at IS NULL",
    [forgetId, vaultId],
  );
  if (!rowCount) return undefined;
  const lifted = await tx.query("DELETE FROM personal.vault_exchanges WHERE vault_id = $1 AND forget_id = $2 AND state = 'forgotten'", [vaultId, forgetId]);
  return lifted.rowCount ?? 0;
}
