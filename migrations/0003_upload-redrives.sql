-- Up Migration
-- How many times the sweeper has re-driven an upload that stopped making progress; past a limit it is
-- failed instead. The index serves the sweeper's scan of unsettled uploads by age.

ALTER TABLE personal.vault_uploads ADD COLUMN redrives integer NOT NULL DEFAULT 0 CHECK (redrives >= 0);
CREATE INDEX vault_uploads_unsettled_idx ON personal.vault_uploads (updated_at) WHERE status IN ('pending', 'processing');

-- Down Migration
DROP INDEX IF EXISTS personal.vault_uploads_unsettled_idx;
ALTER TABLE personal.vault_uploads DROP COLUMN IF EXISTS redrives;
