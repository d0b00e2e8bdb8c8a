-- Up Migration
-- A plan set by an operator (`vault tier set <email> free|premium`) is a grant: Stripe's later news of the
-- person's subscriptions no longer overwrites it (lib/billing/apply-event.ts keeps `tier` equal to the
-- grant while there is one). `vault tier set <email> billing` clears it and the plan follows billing again.
ALTER TABLE personal.user_tiers ADD COLUMN IF NOT EXISTS granted_tier text CHECK (granted_tier IN ('free', 'premium'));

-- Down Migration
ALTER TABLE personal.user_tiers DROP COLUMN IF EXISTS granted_tier;
