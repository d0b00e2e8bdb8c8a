-- Up Migration
-- The hourly purge deletes Stripe event ids past their re-delivery window by received_at
-- (lib/housekeeping/expired-rows.ts); without an index each run would scan the whole table.
CREATE INDEX IF NOT EXISTS stripe_events_received_idx ON personal.stripe_events (received_at);

-- Down Migration
DROP INDEX IF EXISTS personal.stripe_events_received_idx;
