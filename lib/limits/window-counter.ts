import type { Queryable } from "../db/pool";

/**
 * Fixed-window counters in `personal.rate_limits`, one row per bucket (e.g. `signup:203.0.113.7`). The
 * state lives in Postgres because function instances share nothing else. The hourly purge
 * (lib/housekeeping/expired-rows.ts) deletes rows older than the sign-up window, the only window in use:
 * a bucket with a longer window must lengthen the purge's too.
 */
export interface WindowCount {
  /** Hits in the current window, including this one. */
  hits: number;
  /** Seconds until the window starts over. */
  retryAfterSeconds: number;
}

/**
 * Adds `add` (0 to only read, under the row's lock) to the bucket's current window and returns the
 * count, in one statement: concurrent callers are serialised on the row, so each sees the count the
 * one before it left. A window older than `windowSeconds` starts over.
 */
export async function countInWindow(db: Queryable, bucket: string, options: { windowSeconds: number; add: 0 | 1 }): Promise<WindowCount> {
  const expired = "r.window_started <= clock_timestamp() - make_interval(secs => $3)";
  const { rows } = await db.query<{ hits: number; retry_after: number }>(
    `INSERT INTO personal.rate_limits AS r (bucket, window_started, hits) VALUES ($1, clock_timestamp(), $2)
     ON CONFLICT (bucket) DO UPDATE SET
       hits = CASE WHEN ${expired} THEN $2 ELSE r.hits + $2 END,
       window_started = CASE WHEN ${expired} THEN clock_timestamp() ELSE r.window_started END
     RETURNING hits, greatest(1, ceil(extract(epoch FROM window_started + make_interval(secs => $3) - clock_timestamp())))::int AS retry_after`,
    [bucket, options.add, options.windowSeconds],
  );
  return { hits: rows[0]!.hits, retryAfterSeconds: rows[0]!.retry_after };
}

/** The bucket's current window as it stands, without taking a lock; 0 hits if none or expired. */
export async function peekWindow(db: Queryable, bucket: string, windowSeconds: number): Promise<WindowCount> {
  const { rows } = await db.query<{ hits: number; retry_after: number }>(
    `SELECT hits, greatest(1, ceil(extract(epoch FROM window_started + make_interval(secs => $2) - clock_timestamp())))::int AS retry_after
       FROM personal.rate_limits WHERE bucket = $1 AND window_started > clock_timestamp() - make_interval(secs => $2)`,
    [bucket, windowSeconds],
  );
  return rows[0] ? { hits: rows[0].hits, retryAfterSeconds: rows[0].retry_after } : { hits: 0, retryAfterSeconds: 0 };
}
