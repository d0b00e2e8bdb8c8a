import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { expect } from "vitest";
import type pg from "pg";
import { getStore } from "../../lib/store/client";

/** Every key in the store under `prefix`, listed (not assumed). */
export async function listKeys(prefix: string): Promise<string[]> {
  const store = getStore();
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await store.client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * Rows anywhere in the personal schema that mention any of `needles` (ids, an e-mail address, a key
 * prefix), by table: every table is read, so a table added later is checked too.
 */
export async function rowsMentioning(db: pg.Pool, needles: string[]): Promise<Record<string, number>> {
  const { rows: tables } = await db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'personal' AND table_type = 'BASE TABLE'");
  const found: Record<string, number> = {};
  for (const { table_name } of tables) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM personal.${table_name} t WHERE row_to_json(t)::text ILIKE ANY($1::text[])`,
      [needles.map((needle) => `%${needle}%`)],
    );
    if (rows[0]!.n > 0) found[table_name] = rows[0]!.n;
  }
  return found;
}

/**
 * Runs `request` while a transaction takes locks as a merge's commit does (lib/ingest/merge-upload.ts
 * switchVersion): the vault's memories first, then its vault row. Once `request` waits on the memories
 * (its statement starting with `waitingStatement` shows in pg_stat_activity), the vault row is taken: a
 * cycle. Returns what `request` gave.
 *
 * PostgreSQL fails the transaction whose deadlock check finds the cycle; each waiter checks once,
 * `deadlock_timeout` after it began to wait
 * (https://www.postgresql.org/docs/current/runtime-config-locks.html#GUC-DEADLOCK-TIMEOUT). With the
 * default 1 s, a loaded machine could take longer than that to close the cycle: the request's check
 * then found nothing, and the merge's check failed the merge instead. So while this runs, waiters check
 * after 5 s (time enough to close the cycle), and the merge after a minute: the request is the one failed.
 */
export async function whileAMergeCommits<T>(
  db: pg.Pool,
  vaultId: string,
  waitingStatement: string,
  request: () => Promise<T>,
  { waitMs = 20_000 }: { waitMs?: number } = {},
): Promise<T> {
  await setDeadlockTimeout(db, "5s");
  const merge = await db.connect();
  let answer: Promise<T> | undefined;
  let failed = false;
  try {
    await merge.query("BEGIN");
    await merge.query("SET LOCAL deadlock_timeout = '60s'");
    await merge.query("UPDATE personal.vault_exchanges SET state = state WHERE vault_id = $1", [vaultId]);
    answer = request();
    await expect
      .poll(async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND starts_with(query, $1)", [waitingStatement])).rowCount, { timeout: waitMs })
      .toBe(1);
    await merge.query("UPDATE personal.vaults SET last_sync_at = now() WHERE id = $1", [vaultId]);
    await merge.query("COMMIT");
  } catch (error) {
    // The transaction must not go back to the pool open (holding its row locks) or aborted: the client
    // is destroyed, which ends its session and so rolls it back
    // (https://node-postgres.com/apis/pool#releasing-clients). The request, which may have been waiting
    // on those locks, is then let finish, so that its own failure is not left unhandled.
    failed = true;
    merge.release(error instanceof Error ? error : true);
    await answer?.catch(() => undefined);
    throw error;
  } finally {
    if (!failed) merge.release();
    await setDeadlockTimeout(db, null);
  }
  return await answer;
}

/** Sets the server's `deadlock_timeout` for every session (null: back to the default), effective on the sessions' next statements. */
async function setDeadlockTimeout(db: pg.Pool, value: string | null): Promise<void> {
  await db.query(value ? `ALTER SYSTEM SET deadlock_timeout = '${value}'` : "ALTER SYSTEM RESET deadlock_timeout");
  await db.query("SELECT pg_reload_conf()");
}
