-- Up Migration
-- Accounts, sessions, vaults, uploads and tiers for the personal product.

CREATE SCHEMA IF NOT EXISTS personal;

CREATE OR REPLACE FUNCTION personal.touch_updated_at() RETURNS trigger AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TABLE personal.users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
-- E-mail addresses are stored lower-cased, so this also makes matching case-insensitive.
CREATE UNIQUE INDEX users_email_key ON personal.users (email);
CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON personal.users
  FOR EACH ROW EXECUTE FUNCTION personal.touch_updated_at();

-- Only a SHA-256 of the token is stored: a database leak does not hand out live sessions.
CREATE TABLE personal.sessions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES personal.users(id) ON DELETE CASCADE,
  token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  user_agent   text
);
CREATE INDEX sessions_user_idx ON personal.sessions (user_id);
CREATE INDEX sessions_expires_idx ON personal.sessions (expires_at);

-- Failed log-ins per e-mail address in a sliding window, for throttling password guessing.
CREATE TABLE personal.login_failures (
  email           text PRIMARY KEY,
  failures        integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  window_started  timestamptz NOT NULL DEFAULT now(),
  locked_until    timestamptz
);

CREATE TABLE personal.vaults (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id        uuid NOT NULL REFERENCES personal.users(id) ON DELETE CASCADE,
  bucket         text NOT NULL,
  prefix         text NOT NULL,
  node_count     integer NOT NULL DEFAULT 0 CHECK (node_count >= 0),
  total_bytes    bigint NOT NULL DEFAULT 0 CHECK (total_bytes >= 0),
  last_sync_at   timestamptz,
  status         text NOT NULL DEFAULT 'empty' CHECK (status IN ('empty', 'syncing', 'ready', 'error')),
  error_message  text,
  -- Set once users/{uuid}/vault.json exists in the store; NULL means "provision on next use".
  provisioned_at timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT unique_user_vault UNIQUE (user_id),
  CONSTRAINT vault_prefix_format CHECK (prefix = 'users/' || user_id::text)
);
CREATE INDEX vaults_status_idx ON personal.vaults (status);
CREATE TRIGGER vaults_touch_updated_at BEFORE UPDATE ON personal.vaults
  FOR EACH ROW EXECUTE FUNCTION personal.touch_updated_at();

CREATE TABLE personal.vault_uploads (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  vault_id                uuid NOT NULL REFERENCES personal.vaults(id) ON DELETE CASCADE,
  source_type             text NOT NULL DEFAULT 'unknown'
                            CHECK (source_type IN ('anthropic', 'openai', 'grok', 'gemini', 'unknown')),
  original_filename       text,
  uploaded_bytes          bigint CHECK (uploaded_bytes >= 0),
  status                  text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'processing', 'complete', 'failed')),
  progress_pct            integer NOT NULL DEFAULT 0 CHECK (progress_pct BETWEEN 0 AND 100),
  nodes_created           integer NOT NULL DEFAULT 0 CHECK (nodes_created >= 0),
  nodes_deduplicated      integer NOT NULL DEFAULT 0 CHECK (nodes_deduplicated >= 0),
  error_message           text,
  uploaded_at             timestamptz NOT NULL DEFAULT now(),
  processing_started_at   timestamptz,
  processing_completed_at timestamptz
);
CREATE INDEX vault_uploads_vault_idx ON personal.vault_uploads (vault_id, uploaded_at DESC);
CREATE INDEX vault_uploads_status_idx ON personal.vault_uploads (status);

CREATE TABLE personal.user_tiers (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id                uuid NOT NULL REFERENCES personal.users(id) ON DELETE CASCADE,
  tier                   text NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'premium')),
  messages_today         integer NOT NULL DEFAULT 0 CHECK (messages_today >= 0),
  messages_reset_at      date NOT NULL DEFAULT CURRENT_DATE,
  stripe_customer_id     text,
  stripe_subscription_id text,
  subscription_status    text,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT unique_user_tier UNIQUE (user_id)
);
CREATE TRIGGER user_tiers_touch_updated_at BEFORE UPDATE ON personal.user_tiers
  FOR EACH ROW EXECUTE FUNCTION personal.touch_updated_at();

-- B2 retries webhooks and may deliver one event twice: the event id is forwarded to the ingest queue once.
CREATE TABLE personal.store_events (
  event_id     text PRIMARY KEY,
  object_key   text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  forwarded_at timestamptz
);

-- Down Migration
DROP TABLE IF EXISTS personal.store_events;
DROP TABLE IF EXISTS personal.user_tiers;
DROP TABLE IF EXISTS personal.vault_uploads;
DROP TABLE IF EXISTS personal.vaults;
DROP TABLE IF EXISTS personal.login_failures;
DROP TABLE IF EXISTS personal.sessions;
DROP TABLE IF EXISTS personal.users;
DROP FUNCTION IF EXISTS personal.touch_updated_at();
DROP SCHEMA IF EXISTS personal;
