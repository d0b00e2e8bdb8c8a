import type pg from "pg";
import { LOGIN_THROTTLE } from "../accounts/login-throttle";
import { SIGNUP_LIMITS } from "../accounts/signup-throttle";
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
  loginAttempts: number;
  rateLimits: number;
  stripeEvents: number;
}

/**
 * A store event's id is kept this long after it was received. B2 re-sends a notification it could not
 * deliver, and the id is how a re-delivery is recognised (https://www.backblaze.com/docs/cloud-storage-event-notifications-reference-guide);
 * a month is far beyond any re-delivery, and an upload whose event came that late was failed by the sweeper long ago.
 */
export const STORE_EVENT_RETENTION_DAYS = 30;

/**
 * A Stripe event's id is kept this long after it was received, to recognise a re-delivery. Stripe retries
 * an undelivered event for up to three days (https://docs.stripe.com/webhooks#automatic-retries); an
 * event re-sent by hand later than this is still harmless, since a subscription state older than the one
 * recorded changes nothing.
 */
export const STRIPE_EVENT_RETENTION_DAYS = 30;

/** Batches per table and run; what is left is taken by the next run. */
const MAX_BATCHES = 50;

/**
 * Deletes rows that no request can use any more, each of which would otherwise grow by a row per sign-in,
 * upload, log-in failure, sign-up address or Stripe event for ever:
 * - sessions past their expiry (sign-in already refuses them);
 * - store and Stripe event ids older than their re-delivery windows;
 * - log-in attempts idle longer than the throttle remembers failures and no longer held back (the next
 *   attempt would start the count over at 1, exactly as for a pair with no row; the pair's lockout count
 *   goes with it);
 * - rate-limit windows that are over (the next hit would start a new window, as for a missing row).
 * Safe to repeat and to overlap with itself: each statement deletes what is expired at that moment.
 */
export async function purgeExpiredRows(deps: ExpiredRowsDeps): Promise<ExpiredRowsReport> {
  const batchSize = deps.batchSize ?? 5000;
  const purge = (table: string, key: string, expired: string, params: unknown[] = []) =>
    deleteInBatches(
      deps.db,
      `DELETE FROM personal.${table} WHERE (${key}) IN (
         SELECT ${key} FROM personal.${table} WHERE ${expired} LIMIT $1 FOR UPDATE SKIP LOCKED)`,
      [batchSize, ...params],
      batchSize,
    );
  const report: ExpiredRowsReport = {
    sessions: await purge("sessions", "id", "expires_at < now()"),
    storeEvents: await purge("store_events", "event_id", "received_at < now() - make_interval(days => $2)", [deps.storeEventRetentionDays ?? STORE_EVENT_RETENTION_DAYS]),
    loginAttempts: await purge("login_attempts", "email, client", "last_attempt_at < now() - make_interval(hours => $2) AND next_allowed_at < now()", [LOGIN_THROTTLE.forgetAfterHours]),
    rateLimits: await purge("rate_limits", "bucket", "window_started < now() - make_interval(secs => $2)", [SIGNUP_LIMITS.windowSeconds]),
    stripeEvents: await purge("stripe_events", "event_id", "received_at < now() - make_interval(days => $2)", [STRIPE_EVENT_RETENTION_DAYS]),
  };
  if (Object.values(report).some((count) => count > 0)) log.info("purged expired rows", { ...report });
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
