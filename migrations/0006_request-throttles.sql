-- Up Migration
-- Log-in throttling per (account, client address), and fixed-window rate limits (sign-up per address).
-- personal.login_failures (per address only, checked and counted in two steps) is no longer written;
-- it is dropped by a later migration once no running code reads it.

CREATE TABLE personal.login_attempts (
  -- The e-mail address as typed (normalised), whether or not an account has it: the throttle must not
  -- answer differently for unknown addresses.
  email           text NOT NULL,
  -- IPv4 address, or the /64 of an IPv6 address (one subscriber's allocation).
  client          text NOT NULL,
  -- Attempts since the last success, each counted before its password is checked.
  failures        integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  next_allowed_at timestamptz NOT NULL DEFAULT '-infinity',
  last_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- Times a delay was imposed on this pair: what monitoring counts.
  lockouts        integer NOT NULL DEFAULT 0 CHECK (lockouts >= 0),
  PRIMARY KEY (email, client)
);
CREATE INDEX login_attempts_last_attempt_idx ON personal.login_attempts (last_attempt_at);

CREATE TABLE personal.rate_limits (
  -- What is limited and for whom, e.g. 'signup:203.0.113.7'.
  bucket         text PRIMARY KEY,
  window_started timestamptz NOT NULL,
  hits           integer NOT NULL CHECK (hits >= 0)
);
CREATE INDEX rate_limits_window_idx ON personal.rate_limits (window_started);

-- Down Migration
DROP TABLE IF EXISTS personal.rate_limits;
DROP TABLE IF EXISTS personal.login_attempts;
