import { createHash } from "node:crypto";
import type { Queryable } from "../db/pool";
import { log } from "../log";

/**
 * Password-guessing throttle, after OWASP's Authentication Cheat Sheet (login throttling, account
 * lockout): keyed by (e-mail address, client address), so a stranger guessing from elsewhere never locks
 * the owner out of their own usual address; the first `freeFailures` attempts are free, then each one
 * waits twice as long as the one before (`firstDelaySeconds` doubling up to `maxDelaySeconds`). Failures
 * are forgotten on a successful log-in, or after `forgetAfterHours` without an attempt.
 *
 * Every attempt is counted as a failure *before* its password is checked, in the same statement that
 * checks the delay (`UPDATE … WHERE next_allowed_at <= now RETURNING`, under the row's lock): of any
 * number of concurrent guesses only the budget's worth get a hash computed, the rest are refused at
 * once. A success gives the attempt back by clearing the row.
 */
export const LOGIN_THROTTLE = { freeFailures: 5, firstDelaySeconds: 60, maxDelaySeconds: 15 * 60, forgetAfterHours: 24 } as const;

export interface LoginClient {
  email: string;
  /** From {@link clientAddress}. */
  client: string;
}

export type LoginReservation = { allowed: true; failures: number } | { allowed: false; retryAfterSeconds: number };

// $3 freeFailures, $4 firstDelaySeconds, $5 maxDelaySeconds, $6 forgetAfterHours
const FAILURES_AFTER = `CASE WHEN a.last_attempt_at < clock_timestamp() - make_interval(hours => $6) THEN 1 ELSE a.failures + 1 END`;
const delayAfter = (failures: string) =>
  `make_interval(secs => CASE WHEN ${failures} >= $3 THEN least($5::float8, $4::float8 * power(2, ${failures} - $3)) ELSE 0 END)`;
const SECONDS_UNTIL_ALLOWED = "greatest(0, ceil(extract(epoch FROM next_allowed_at - clock_timestamp())))::int";

/**
 * Counts one attempt and says whether its password may be checked now, in one statement: a pair's first
 * attempt inserts its row; a later one is an UPDATE whose WHERE is the delay check. (A plain UPDATE,
 * not INSERT … ON CONFLICT DO UPDATE, which locks and WAL-logs the row even when its WHERE refuses: here
 * a refused attempt writes nothing, and one that waited for the row's lock re-checks the delay against
 * the row as the attempt before it left it.)
 */
export async function reserveLoginAttempt(db: Queryable, attempt: LoginClient): Promise<LoginReservation> {
  // No row at all: a concurrent first attempt inserted it after this statement's snapshot was taken.
  // Once more, with a snapshot that sees it, so the attempt is judged by the row, not refused blindly.
  const row = (await reserveOnce(db, attempt)) ?? (await reserveOnce(db, attempt));
  if (!row?.allowed) return { allowed: false, retryAfterSeconds: row?.wait_seconds ?? 1 };
  if (row.wait_seconds > 0) {
    log.warn("log-in attempts locked", {
      account: accountDigest(attempt.email),
      client: attempt.client,
      failures: row.failures,
      lockedForSeconds: row.wait_seconds,
      lockouts: row.lockouts,
    });
  }
  return { allowed: true, failures: row.failures };
}

async function reserveOnce(db: Queryable, attempt: LoginClient) {
  const { freeFailures, firstDelaySeconds, maxDelaySeconds, forgetAfterHours } = LOGIN_THROTTLE;
  const { rows } = await db.query<{ allowed: boolean; failures: number; lockouts: number; wait_seconds: number }>(
    `WITH inserted AS (
       INSERT INTO personal.login_attempts AS a (email, client, failures, next_allowed_at, lockouts, last_attempt_at)
       VALUES ($1, $2, 1, clock_timestamp() + ${delayAfter("1")}, (1 >= $3)::int, clock_timestamp())
       ON CONFLICT (email, client) DO NOTHING
       RETURNING failures, lockouts, next_allowed_at
     ), updated AS (
       UPDATE personal.login_attempts AS a SET
         failures = ${FAILURES_AFTER},
         next_allowed_at = clock_timestamp() + ${delayAfter(FAILURES_AFTER)},
         lockouts = a.lockouts + (${FAILURES_AFTER} >= $3)::int,
         last_attempt_at = clock_timestamp()
       WHERE a.email = $1 AND a.client = $2 AND a.next_allowed_at <= clock_timestamp() AND NOT EXISTS (SELECT FROM inserted)
       RETURNING failures, lockouts, next_allowed_at
     )
     SELECT true AS allowed, failures, lockouts, ${SECONDS_UNTIL_ALLOWED} AS wait_seconds FROM inserted
     UNION ALL SELECT true, failures, lockouts, ${SECONDS_UNTIL_ALLOWED} FROM updated
     UNION ALL SELECT false, failures, lockouts, greatest(1, ${SECONDS_UNTIL_ALLOWED}) FROM personal.login_attempts
      WHERE email = $1 AND client = $2 AND NOT EXISTS (SELECT FROM inserted) AND NOT EXISTS (SELECT FROM updated)`,
    [attempt.email, attempt.client, freeFailures, firstDelaySeconds, maxDelaySeconds, forgetAfterHours],
  );
  return rows[0];
}

/** The right password got in: its attempt and the earlier failures from this client are forgotten. */
export async function clearLoginAttempts(db: Queryable, attempt: LoginClient): Promise<void> {
  await db.query("DELETE FROM personal.login_attempts WHERE email = $1 AND client = $2", [attempt.email, attempt.client]);
}

/** Logs name accounts by a digest, never by e-mail address. */
function accountDigest(email: string): string {
  return createHash("sha256").update(email).digest("hex").slice(0, 16);
}
