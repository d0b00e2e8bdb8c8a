/**
 * What a Stripe event says about a subscription, read without touching the database. Only the four
 * events that decide a plan are read (https://docs.stripe.com/billing/subscriptions/webhooks):
 * `checkout.session.completed` and `customer.subscription.created|updated|deleted`.
 */
import type Stripe from "stripe";

/** Statuses that keep Premium on. `past_due` is Stripe still retrying the card: the person keeps access meanwhile. */
export const ENTITLED_STATUSES = ["active", "trialing", "past_due"] as const;
const ENTITLED = new Set<string>(ENTITLED_STATUSES);

/** Stripe never brings a subscription back from these (https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses). */
export const TERMINAL_STATUSES = ["canceled", "incomplete_expired"] as const;

export function isEntitled(status: string): boolean {
  return ENTITLED.has(status);
}

/** One subscription's state as of a moment, from one event. */
export interface SubscriptionChange {
  subscriptionId: string;
  customerId: string | null;
  /** Ours, when the object carries it (`client_reference_id` or `metadata.user_id`, set at checkout). */
  userId: string | null;
  status: string;
  /**
   * The newest of the object's own timestamps (created, started, renewed, cancelled, ended). Events
   * arrive out of order; a state older than the one applied is ignored.
   */
  stateAt: Date;
  /** The event's creation time, which orders two events about the same object state. */
  eventAt: Date;
}

const seconds = (value: number | null | undefined): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);
const idOf = (value: string | { id: string } | null | undefined): string | null => (typeof value === "string" ? value : (value?.id ?? null));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const userIdOf = (...candidates: Array<string | null | undefined>): string | null => candidates.find((value) => value && UUID.test(value)) ?? null;

function subscriptionStateAt(subscription: Stripe.Subscription): number {
  const periods = subscription.items?.data?.map((item) => seconds(item.current_period_start)) ?? [];
  return Math.max(seconds(subscription.created), seconds(subscription.start_date), seconds(subscription.canceled_at), seconds(subscription.ended_at), ...periods);
}

/**
 * The subscription change an event describes, or `undefined` for events that do not decide a plan
 * (other types, one-off payments, sessions without a subscription).
 */
export function subscriptionChangeOf(event: Stripe.Event): SubscriptionChange | undefined {
  const eventAt = new Date(seconds(event.created) * 1000);
  if (event.type === "checkout.session.completed") {
    const session = event.data.object;
    const subscriptionId = idOf(session.subscription);
    if (session.mode !== "subscription" || !subscriptionId) return undefined;
    const paid = session.payment_status === "paid" || session.payment_status === "no_payment_required";
    return {
      subscriptionId,
      customerId: idOf(session.customer),
      userId: userIdOf(session.client_reference_id, session.metadata?.user_id),
      status: paid ? "active" : "incomplete",
      stateAt: new Date(seconds(session.created) * 1000),
      eventAt,
    };
  }
  if (event.type === "customer.subscription.created" || event.type === "customer.subscription.updated" || event.type === "customer.subscription.deleted") {
    const subscription = event.data.object;
    return {
      subscriptionId: subscription.id,
      customerId: idOf(subscription.customer),
      userId: userIdOf(subscription.metadata?.user_id),
      // A deleted subscription is over whatever status the snapshot shows.
      status: event.type === "customer.subscription.deleted" ? "canceled" : subscription.status,
      stateAt: new Date(subscriptionStateAt(subscription) * 1000),
      eventAt,
    };
  }
  return undefined;
}
