-- Up Migration
-- Premium through Stripe: every webhook event applied once, and each subscription's latest known state
-- with the timestamps that order late deliveries. The daily message count is kept per UTC day.

ALTER TABLE personal.user_tiers ALTER COLUMN messages_reset_at SET DEFAULT (now() AT TIME ZONE 'utc')::date;
CREATE INDEX user_tiers_stripe_customer_idx ON personal.user_tiers (stripe_customer_id) WHERE stripe_customer_id IS NOT NULL;

-- Stripe delivers an event at least once: its id is recorded in the transaction that applies it.
CREATE TABLE personal.stripe_events (
  event_id    text PRIMARY KEY,
  event_type  text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- The newest state Stripe has told us of each subscription. An event whose (state_at, event_at) is
-- older than the row's is a late delivery and changes nothing; the tier derives from these rows.
CREATE TABLE personal.billing_subscriptions (
  subscription_id text PRIMARY KEY,
  user_id         uuid NOT NULL REFERENCES personal.users(id) ON DELETE CASCADE,
  customer_id     text,
  status          text NOT NULL,
  state_at        timestamptz NOT NULL,
  event_at        timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX billing_subscriptions_user_idx ON personal.billing_subscriptions (user_id);

-- Down Migration
DROP TABLE IF EXISTS personal.billing_subscriptions;
DROP TABLE IF EXISTS personal.stripe_events;
DROP INDEX IF EXISTS personal.user_tiers_stripe_customer_idx;
ALTER TABLE personal.user_tiers ALTER COLUMN messages_reset_at SET DEFAULT CURRENT_DATE;
