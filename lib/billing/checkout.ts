import type pg from "pg";
import type Stripe from "stripe";
import { ConflictError, NotConfiguredError, UnauthorizedError } from "../errors";

export interface CheckoutDeps {
  db: pg.Pool;
  /** `undefined` when this deployment has no Stripe key. */
  stripe: Stripe | undefined;
  premiumPriceId: string | undefined;
}

/**
 * Starts a Stripe Checkout for Premium and returns the page to send the person to
 * (https://docs.stripe.com/billing/subscriptions/build-subscriptions?ui=stripe-hosted). Our user id
 * travels as `client_reference_id` and in the subscription's metadata, so the webhook can tell whose
 * subscription each event is about.
 */
export async function startPremiumCheckout(deps: CheckoutDeps, userId: string, returnUrl: string): Promise<{ url: string; session_id: string }> {
  if (!deps.stripe || !deps.premiumPriceId) {
    throw new NotConfiguredError("billing_not_configured", "Payments are not set up on this server yet, so Premium cannot be bought here (its operator sets STRIPE_SECRET_KEY and STRIPE_PREMIUM_PRICE_ID).");
  }
  const { rows } = await deps.db.query<{ email: string; tier: string | null; stripe_customer_id: string | null }>(
    `SELECT u.email, t.tier, t.stripe_customer_id
       FROM personal.users u LEFT JOIN personal.user_tiers t ON t.user_id = u.id WHERE u.id = $1`,
    [userId],
  );
  const account = rows[0];
  if (!account) throw new UnauthorizedError();
  if (account.tier === "premium") throw new ConflictError("already_premium", "You are on Premium already.");
  const metadata = { user_id: userId };
  const session = await deps.stripe.checkout.sessions.create({
    mode: "subscription",
    line_items: [{ price: deps.premiumPriceId, quantity: 1 }],
    client_reference_id: userId,
    ...(account.stripe_customer_id ? { customer: account.stripe_customer_id } : { customer_email: account.email }),
    metadata,
    subscription_data: { metadata },
    success_url: `${returnUrl}/?billing=success`,
    cancel_url: `${returnUrl}/?billing=cancelled`,
  });
  if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a URL`);
  return { url: session.url, session_id: session.id };
}
