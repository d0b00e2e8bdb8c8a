/**
 * Applies a verified Stripe event to the plan of the person it concerns. Stripe delivers at least once
 * and in no particular order (https://docs.stripe.com/webhooks#handle-duplicate-events,
 * https://docs.stripe.com/webhooks#event-ordering), so:
 * - the event id is recorded in the same transaction as its effect: a replay changes nothing;
 * - each subscription keeps the newest state we were told of; an older one arriving late is ignored,
 *   and a cancelled subscription never comes back (Stripe never revives one);
 * - the tier is derived from all of the person's subscriptions, not from the last event.
 */
import type pg from "pg";
import type Stripe from "stripe";
import type { Queryable } from "../db/pool";
import { withTransaction } from "../db/transaction";
import { log } from "../log";
import { ENTITLED_STATUSES, isEntitled, subscriptionChangeOf, TERMINAL_STATUSES, type SubscriptionChange } from "./subscription-events";

export type EventOutcome =
  /** Already seen: nothing done. */
  | "duplicate"
  /** Not an event that decides a plan. */
  | "ignored"
  /** No account matches the subscription (not ours, or the account was deleted). */
  | "unknown_user"
  /** Older than the state already recorded for its subscription. */
  | "stale"
  | "applied";

export interface AppliedEvent {
  outcome: EventOutcome;
  userId?: string;
  tier?: "free" | "premium";
}

/** Records `event` once and, if it is the newest word on its subscription, sets the person's tier. */
export async function applyStripeEvent(db: pg.Pool, event: Stripe.Event): Promise<AppliedEvent> {
  const change = subscriptionChangeOf(event);
  const result = await withTransaction(db, async (tx) => {
    const first = await tx.query("INSERT INTO personal.stripe_events (event_id, event_type) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id", [event.id, event.type]);
    if (first.rowCount === 0) return { outcome: "duplicate" } as const;
    if (!change) return { outcome: "ignored" } as const;
    const userId = await resolveUser(tx, change);
    if (!userId) return { outcome: "unknown_user" } as const;
    // Serialises every event of one person, so the tier below is computed from all committed changes.
    await tx.query("SELECT 1 FROM personal.user_tiers WHERE user_id = $1 FOR UPDATE", [userId]);
    if (!(await recordSubscriptionState(tx, userId, change))) return { outcome: "stale", userId } as const;
    const tier = await deriveTier(tx, userId, change.customerId);
    return { outcome: "applied", userId, tier } as const;
  });
  log.info("stripe event", { eventId: event.id, type: event.type, outcome: result.outcome, userId: "userId" in result ? result.userId : undefined });
  return result;
}

async function resolveUser(tx: pg.PoolClient, change: SubscriptionChange): Promise<string | undefined> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM personal.users WHERE id = $1::uuid
     UNION ALL
     SELECT user_id FROM personal.billing_subscriptions WHERE subscription_id = $2
     UNION ALL
     SELECT user_id FROM personal.user_tiers WHERE $3::text IS NOT NULL AND stripe_customer_id = $3
     LIMIT 1`,
    [change.userId, change.subscriptionId, change.customerId],
  );
  return rows[0]?.id;
}

/** Upserts the subscription's state if it is newer than the recorded one; false when it is not. */
async function recordSubscriptionState(tx: pg.PoolClient, userId: string, change: SubscriptionChange): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO personal.billing_subscriptions AS s (subscription_id, user_id, customer_id, status, state_at, event_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (subscription_id) DO UPDATE
        SET status = EXCLUDED.status, state_at = EXCLUDED.state_at, event_at = EXCLUDED.event_at,
            customer_id = coalesce(EXCLUDED.customer_id, s.customer_id), updated_at = now()
      WHERE s.status <> ALL ($7::text[])
        AND (EXCLUDED.state_at, EXCLUDED.event_at) >= (s.state_at, s.event_at)`,
    [change.subscriptionId, userId, change.customerId, change.status, change.stateAt, change.eventAt, TERMINAL_STATUSES],
  );
  return rowCount === 1;
}

/** Premium while any of the person's subscriptions is entitled; the row shows the one that decides. */
/**
 * Sets the person's tier from all of their subscriptions (Premium while one is entitled) and returns the
 * tier in force, which is an operator's grant (`granted_tier`, see `setTierByEmail`) while there is one.
 */
export async function deriveTier(tx: Queryable, userId: string, customerId: string | null): Promise<"free" | "premium"> {
  const { rows } = await tx.query<{ subscription_id: string; status: string }>(
    `SELECT subscription_id, status FROM personal.billing_subscriptions WHERE user_id = $1
      ORDER BY status = ANY ($2::text[]) DESC, state_at DESC, event_at DESC LIMIT 1`,
    [userId, ENTITLED_STATUSES],
  );
  const deciding = rows[0];
  const billed = deciding && isEntitled(deciding.status) ? "premium" : "free";
  const written = await tx.query<{ tier: "free" | "premium" }>(
    `INSERT INTO personal.user_tiers AS t (user_id, tier, stripe_customer_id, stripe_subscription_id, subscription_status)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (user_id) DO UPDATE
        SET tier = coalesce(t.granted_tier, EXCLUDED.tier), stripe_customer_id = coalesce(EXCLUDED.stripe_customer_id, t.stripe_customer_id),
            stripe_subscription_id = EXCLUDED.stripe_subscription_id, subscription_status = EXCLUDED.subscription_status
     RETURNING tier`,
    [userId, billed, customerId, deciding?.subscription_id ?? null, deciding?.status ?? null],
  );
  return written.rows[0]!.tier;
}
