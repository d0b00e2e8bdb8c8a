-- Up Migration
-- Account deletion in two steps (lib/accounts/delete-account.ts): the request detaches the account at
-- once (sessions, tokens and the e-mail address gone, uploads cancelled) and marks it; the files and rows
-- go next. A deletion interrupted half-way is found by this mark and finished by the sweeper.

ALTER TABLE personal.users ADD COLUMN deleting_since timestamptz;
CREATE INDEX users_deleting_idx ON personal.users (deleting_since) WHERE deleting_since IS NOT NULL;

-- Down Migration
DROP INDEX IF EXISTS personal.users_deleting_idx;
ALTER TABLE personal.users DROP COLUMN IF EXISTS deleting_since;
