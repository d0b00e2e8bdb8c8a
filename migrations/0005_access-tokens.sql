-- Up Migration
-- Personal access tokens: long-lived, read-only credentials for MCP clients and scripts. Like sessions,
-- only a SHA-256 of the token is stored; the token itself is shown once, when it is created.

CREATE TABLE personal.access_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES personal.users(id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  -- The first characters of the token, so a person can tell their tokens apart in a list.
  token_prefix text NOT NULL,
  scope        text NOT NULL DEFAULT 'read' CHECK (scope IN ('read')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX access_tokens_user_idx ON personal.access_tokens (user_id, created_at DESC);

-- Down Migration
DROP TABLE IF EXISTS personal.access_tokens;
