import { describe, expect, it } from "vitest";
import { LOGIN_THROTTLE } from "../../lib/accounts/login-throttle";
import { SIGNUP_LIMITS } from "../../lib/accounts/signup-throttle";
import { purgeExpiredRows, STORE_EVENT_RETENTION_DAYS, STRIPE_EVENT_RETENTION_DAYS } from "../../lib/housekeeping/expired-rows";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";

/** The hourly schedule that deletes rows no request can use any more, run as its timer runs it. */
const ctx = useTestStack({ consumers: false });

type Report = { sessions: number; storeEvents: number; loginAttempts: number; rateLimits: number; stripeEvents: number };
const purge = () => ctx.stack.schedules["purge-expired-rows"]!.runNow() as Promise<Report>;
const ago = (interval: string) => `clock_timestamp() - interval '${interval}'`;

async function expire(userId: string) {
  await ctx.db.query("UPDATE personal.sessions SET expires_at = now() - interval '1 minute' WHERE user_id = $1", [userId]);
}

async function sessionsOf(userIds: string[]) {
  const { rows } = await ctx.db.query<{ user_id: string }>("SELECT user_id::text FROM personal.sessions WHERE user_id = ANY($1::uuid[]) ORDER BY user_id", [userIds]);
  return rows.map((row) => row.user_id);
}

describe("the expired-rows schedule", () => {
  it("deletes sessions past their expiry, and the live ones still sign their person in", async () => {
    const { body: gone } = await ctx.api.signUp(uniqueEmail("expired"));
    const { body: live } = await ctx.api.signUp(uniqueEmail("live"));
    await expire(gone.user_id);
    expect((await ctx.api.me(gone.token)).status).toBe(401);

    expect(await purge()).toMatchObject({ sessions: 1 });

    expect(await sessionsOf([gone.user_id, live.user_id])).toEqual([live.user_id]);
    expect((await ctx.api.me(live.token)).status).toBe(200);
    expect(await purge()).toMatchObject({ sessions: 0 });
  });

  it("forgets a store event's id once it is past the re-delivery window, and keeps the recent ones", async () => {
    const days = (n: number) => `now() - make_interval(days => ${n})`;
    await ctx.db.query(
      `INSERT INTO personal.store_events (event_id, object_key, received_at, forwarded_at) VALUES
         ('old-event', 'users/x/uploads/a/conversations.json', ${days(STORE_EVENT_RETENTION_DAYS + 1)}, ${days(STORE_EVENT_RETENTION_DAYS + 1)}),
         ('recent-event', 'users/x/uploads/b/conversations.json', ${days(STORE_EVENT_RETENTION_DAYS - 1)}, ${days(STORE_EVENT_RETENTION_DAYS - 1)})`,
    );

    expect(await purge()).toMatchObject({ storeEvents: 1 });

    const { rows } = await ctx.db.query("SELECT event_id FROM personal.store_events WHERE event_id IN ('old-event', 'recent-event')");
    expect(rows).toEqual([{ event_id: "recent-event" }]);
  });

  it("deletes in batches until none is left", async () => {
    const people = await Promise.all([1, 2, 3, 4, 5].map(() => ctx.api.signUp(uniqueEmail("batch"))));
    const ids = people.map(({ body }) => body.user_id as string);
    for (const id of ids) await expire(id);

    expect(await purgeExpiredRows({ db: ctx.db, batchSize: 2 })).toMatchObject({ sessions: 5 });
    expect(await sessionsOf(ids)).toEqual([]);
  });

  it("forgets log-in attempts idle past the throttle's memory, and keeps a pair that is still held back", async () => {
    const idle = `${LOGIN_THROTTLE.forgetAfterHours + 1} hours`;
    await ctx.db.query(
      `INSERT INTO personal.login_attempts (email, client, failures, next_allowed_at, last_attempt_at, lockouts) VALUES
         ('idle@example.com', '203.0.113.1', 9, ${ago(idle)}, ${ago(idle)}, 3),
         ('recent@example.com', '203.0.113.1', 2, ${ago("1 hour")}, ${ago("1 hour")}, 0),
         ('held@example.com', '203.0.113.1', 9, clock_timestamp() + interval '10 minutes', ${ago("1 minute")}, 4)`,
    );

    expect(await purge()).toMatchObject({ loginAttempts: 1 });

    const { rows } = await ctx.db.query("SELECT email FROM personal.login_attempts WHERE client = '203.0.113.1' ORDER BY email");
    expect(rows.map((row) => row.email)).toEqual(["held@example.com", "recent@example.com"]);
  });

  it("deletes rate-limit windows that are over, and keeps a window still counting", async () => {
    const over = `${SIGNUP_LIMITS.windowSeconds + 60} seconds`;
    await ctx.db.query(
      `INSERT INTO personal.rate_limits (bucket, window_started, hits) VALUES
         ('signup:198.51.100.1', ${ago(over)}, 50), ('signup:198.51.100.2', ${ago("5 minutes")}, 3)`,
    );

    expect(await purge()).toMatchObject({ rateLimits: 1 });

    const { rows } = await ctx.db.query("SELECT bucket FROM personal.rate_limits WHERE bucket LIKE 'signup:198.51.100.%'");
    expect(rows).toEqual([{ bucket: "signup:198.51.100.2" }]);
  });

  it("forgets a Stripe event's id once it is past Stripe's retry window, and keeps the recent ones", async () => {
    await ctx.db.query(
      `INSERT INTO personal.stripe_events (event_id, event_type, received_at) VALUES
         ('evt_old_purge', 'customer.subscription.updated', ${ago(`${STRIPE_EVENT_RETENTION_DAYS + 1} days`)}),
         ('evt_recent_purge', 'customer.subscription.updated', ${ago(`${STRIPE_EVENT_RETENTION_DAYS - 1} days`)})`,
    );

    expect(await purge()).toMatchObject({ stripeEvents: 1 });

    const { rows } = await ctx.db.query("SELECT event_id FROM personal.stripe_events WHERE event_id LIKE 'evt_%_purge'");
    expect(rows).toEqual([{ event_id: "evt_recent_purge" }]);
  });
});
