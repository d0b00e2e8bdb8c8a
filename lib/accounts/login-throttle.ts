import type { Queryable } from "../db/pool";

/**
 * Throttles password guessing per e-mail address: after `maxFailures` failed log-ins within `windowMinutes`,
 * further attempts are refused until the window has passed. The state lives in Postgres because function
 * instances share nothing else.
 */
export const LOGIN_THROTTLE = { maxFailures: 10, windowMinutes: 15 } as const;

/** Seconds until the address may try again, or 0 if it may try now. */
export async function loginRetryAfter(db: Queryable, email: string): Promise<number> {
  const { rows } = await db.query<{ wait: number }>(
    `SELECT ceil(extract(epoch FROM locked_until - now()))::int AS wait
       FROM personal.login_failures WHERE email = $1 AND locked_until > now()`,
    [email],
  );
  return rows[0]?.wait ?? 0;
}

export async function recordLoginFailure(db: Queryable, email: string): Promise<void> {
  await db.query(
    `INSERT INTO personal.login_failures AS f (email, failures, window_started)
     VALUES ($1, 1, now())
     ON CONFLICT (email) DO UPDATE SET
       failures = CASE WHEN f.window_started < now() - make_interval(mins => $3) THEN 1 ELSE f.failures + 1 END,
       window_started = CASE WHEN f.window_started < now() - make_interval(mins => $3) THEN now() ELSE f.window_started END,
       locked_until = CASE
         WHEN f.window_started >= now() - make_interval(mins => $3) AND f.failures + 1 >= $2
         THEN f.window_started + make_interval(mins => $3)
         ELSE NULL END`,
    [email, LOGIN_THROTTLE.maxFailures, LOGIN_THROTTLE.windowMinutes],
  );
}

export async function clearLoginFailures(db: Queryable, email: string): Promise<void> {
  await db.query("DELETE FROM personal.login_failures WHERE email = $1", [email]);
}
