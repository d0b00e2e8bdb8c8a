import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type pg from "pg";
import { resumeDeletions } from "../accounts/delete-account";
import { log } from "../log";
import type { Store } from "../store/client";
import { deletePrefix } from "../store/streams";
import { finishPendingEmptyings } from "./empty-vault";

export interface SweepVaultFilesDeps {
  db: pg.Pool;
  store: Store;
  /** An account deletion older than this was interrupted (longer than its function may run): finish it. */
  deletionTimeoutSeconds: number;
  /** An emptied vault whose files are still there after this (longer than a merge may run) lost its reduce-queue message: finish it. */
  emptyingTimeoutSeconds: number;
}

export interface SweepVaultFilesReport {
  deletionsFinished: number;
  emptyingsFinished: number;
  orphanedPrefixes: number;
  /** Store events naming an account that no longer exists (see {@link forgetEventsOfDeletedAccounts}). */
  orphanedEvents: number;
}

const UUID = /^users\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/$/;

/**
 * The store's janitor, on a schedule (functions/manifest.ts): finishes account deletions that were
 * interrupted and vault emptyings whose file deletion never ran, and removes everything under a `users/{uuid}/` prefix whose account no longer exists —
 * what a worker still running when its account was deleted wrote after the deletion, or a file a browser
 * sent with a presigned URL issued before it. Safe to run at any time and to overlap with itself.
 */
export async function sweepVaultFiles(deps: SweepVaultFilesDeps): Promise<SweepVaultFilesReport> {
  const deletionsFinished = await resumeDeletions(deps, { olderThanSeconds: deps.deletionTimeoutSeconds });
  const emptyingsFinished = await finishPendingEmptyings(deps, { olderThanSeconds: deps.emptyingTimeoutSeconds });
  const orphanedPrefixes = await sweepOrphanedPrefixes(deps);
  const orphanedEvents = await forgetEventsOfDeletedAccounts(deps);
  const report = { deletionsFinished, emptyingsFinished, orphanedPrefixes, orphanedEvents };
  if (deletionsFinished + emptyingsFinished + orphanedPrefixes + orphanedEvents > 0) log.info("vault files swept", { ...report });
  return report;
}

/**
 * Deletes the store events whose object key names an account that no longer exists. The webhook sends
 * an event to the queue before its record commits (lib/webhooks/forward.ts), so for a file sent after
 * its account was deleted, the split can delete the file and the record before the record exists; the
 * record then commits, and no object is left under the account's prefix for
 * {@link sweepOrphanedPrefixes} to find. Accounts are committed before their first upload link, so a
 * living account's events always have their user row.
 */
async function forgetEventsOfDeletedAccounts(deps: SweepVaultFilesDeps): Promise<number> {
  const { rowCount } = await deps.db.query(
    `DELETE FROM personal.store_events e
      WHERE e.object_key LIKE 'users/%'
        AND NOT EXISTS (SELECT 1 FROM personal.users u WHERE u.id::text = split_part(e.object_key, '/', 2))`,
  );
  return rowCount ?? 0;
}

/** Deletes each `users/{uuid}/` prefix with no user row: a page of 1,000 prefixes is one LIST and one query. */
async function sweepOrphanedPrefixes(deps: SweepVaultFilesDeps): Promise<number> {
  let swept = 0;
  let token: string | undefined;
  do {
    const page = await deps.store.client.send(new ListObjectsV2Command({ Bucket: deps.store.bucket, Prefix: "users/", Delimiter: "/", ContinuationToken: token }));
    const ids = (page.CommonPrefixes ?? []).flatMap((entry) => UUID.exec(entry.Prefix ?? "")?.slice(1, 2) ?? []);
    if (ids.length > 0) {
      // Accounts are committed before their first object is written, so a prefix without a row is one whose account is gone.
      const { rows } = await deps.db.query<{ id: string }>("SELECT id::text FROM personal.users WHERE id = ANY($1::uuid[])", [ids]);
      const living = new Set(rows.map((row) => row.id));
      for (const id of ids.filter((id) => !living.has(id))) {
        await deletePrefix(deps.store, `users/${id}/`);
        // The store's events about those objects name the account too.
        await deps.db.query("DELETE FROM personal.store_events WHERE object_key LIKE $1", [`users/${id}/%`]);
        swept += 1;
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return swept;
}
