import type pg from "pg";
import { log } from "../log";

export interface ExpiredRowsDeps {
  db: pg.Pool;
  /** Days a store event id is kept to recognise a re-delivery; {@link STORE_EVENT_RETENTION_DAYS} by default. */
  storeEventRetentionDays?: number;
  /** Rows deleted per statement, so no run holds locks on many rows at once. */
  batchSize?: number;
}

export interface ExpiredRowsReport {
  sessions: number;
  storeEvents: number;
}

/**
 * A store event's id is kept this long after it was received. B2 re-sends a notification it could not
 * deliver, and the id is how a re-delivery is recognised (https://www.backblaze.com/docs/cloud-storage-event-notifications-reference-guide);
 * a month is far beyond any re-delivery, and an upload whose event came that late was failed by the sweeper long ago.
 */
export const STORE_EVENT_RETENTION_DAYS = 30;

/** Batches per table and run; what is left is taken by the next run. */
const MAX_BATCHES = 50;

/**
 * Deletes rows that no request can use any more: sessions past their expiry (sign-in already refuses
 * them) and store events older than the re-delivery window. Both tables would otherwise grow by a row
 * per sign-in and per upload for ever. Safe to repeat and to overlap with itself: each statement deletes
 * what is expired at that moment.
 */
export async function purgeExpiredRows(deps: ExpiredRowsDeps): Promise<ExpiredRowsReport> {
  const batchSize = deps.batchSize ?? 5000;
  const sessions = await deleteInBatches(
    deps.db,
    `DELETE FROM personal.sessions WHERE id IN (
       SELECT id FROM personal.sessions WHERE expires_at < now() LIMIT $1 FOR UPDATE SKIP LOCKED)`,
    [batchSize],
    batchSize,
  );
  const storeEvents = await deleteInBatches(
    deps.db,
    `DELETE FROM personal.store_events WHERE event_id IN (
       SELECT event_id FROM personal.store_events WHERE received_at < now() - make_interval(days => $2) LIMIT $1 FOR UPDATE SKIP LOCKED)`,
    [batchSize, deps.storeEventRetentionDays ?? STORE_EVENT_RETENTION_DAYS],
    batchSize,
  );
  const report = { sessions, storeEvents };
  if (sessions + storeEvents > 0) log.info("purged expired rows", { ...report });
  return report;
}

async function deleteInBatches(db: pg.Pool, sql: string, params: unknown[], batchSize: number): Promise<number> {
  let deleted = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch += 1) {
    const { rowCount } = await db.query(sql, params);
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) break;
  }
  return deleted;
}
